import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { validateConfig } from './validate-config.ts';

// A config error names the field once, with the allowed range: zod also reports `.int()`'s own bound (the
// largest safe integer), which tells the user nothing.
describe('a config value out of range', () => {
  const schema = z.object({ retry: z.object({ maxAttempts: z.number().int().min(1).max(100) }) });

  it.each([
    [1e308, '<=100'],
    [-1e308, '>=1'],
  ])('%d is one problem naming the allowed bound (%s)', (value, bound) => {
    const result = validateConfig(schema, { retry: { maxAttempts: value } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({ path: 'retry.maxAttempts' });
    expect(result.problems[0]!.message).toContain(bound);
    expect(result.problems[0]!.message).not.toContain('9007199254740991');
  });
});
