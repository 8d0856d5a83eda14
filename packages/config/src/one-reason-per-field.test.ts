import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { validateConfig } from './validate-config.ts';

// A config error names the field once, with the allowed range: zod also reports `.int()`'s own bound (the
// largest safe integer), which tells the user nothing.
describe('a config value out of range', () => {
  const schema = z.object({ retry: z.object({ maxAttempts: z.number().int().min(1).max(100) }) });

  it.each([
    // The whole range since the range change (one side only, '<=100' / '>=1', before it).
    [1e308, 'between 1 and 100'],
    [-1e308, 'between 1 and 100'],
  ])('%d is one problem naming the allowed range (%s)', (value, bound) => {
    const result = validateConfig(schema, { retry: { maxAttempts: value } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({ path: 'retry.maxAttempts' });
    expect(result.problems[0]!.message).toContain(bound);
    expect(result.problems[0]!.message).not.toContain('9007199254740991');
  });
});

// A field bounded both ways is told its whole range, whichever side the value crossed: "expected number to
// be >=1" sends a user who wrote 0 to write 1000, and a second error.
describe('a value out of a field bounded both ways', () => {
  const schema = z.object({
    workers: z.number().int().min(1).max(64),
    gain: z.number().gt(0).lte(4).optional(),
    name: z.string().min(1).max(8).default('x'),
    tags: z.array(z.string()).min(1).max(3).optional(),
    routes: z.array(z.object({ retries: z.union([z.literal('auto'), z.number().int().min(0).max(9)]) })),
    levels: z.record(z.string(), z.number().min(-6).max(0)),
    // One bound only, or the schema's own words: left as they were.
    minOnly: z.number().int().min(1),
    own: z.number().min(-30, 'between -30 and -5 LUFS').max(-5, 'between -30 and -5 LUFS'),
  });
  const valid = { workers: 1, routes: [], levels: {}, minOnly: 1, own: -14 };
  const messageFor = (patch: Record<string, unknown>): string => {
    const result = validateConfig(schema, { ...valid, ...patch });
    if (result.ok) throw new Error('expected a problem');
    expect(result.problems).toHaveLength(1);
    return `${result.problems[0]!.path}: ${result.problems[0]!.message}`;
  };

  it.each([
    [{ workers: 0 }, 'workers: must be between 1 and 64'],
    [{ workers: 65 }, 'workers: must be between 1 and 64'],
    [{ workers: 1e308 }, 'workers: must be between 1 and 64'],
    [{ gain: 0 }, 'gain: must be more than 0 and at most 4'],
    [{ name: '' }, 'name: must be between 1 and 8 characters long'],
    [{ name: 'much too long' }, 'name: must be between 1 and 8 characters long'],
    [{ tags: [] }, 'tags: must have between 1 and 3 items'],
    [{ routes: [{ retries: 10 }] }, 'routes.0.retries: must be between 0 and 9'],
    [{ levels: { vocals: 1 } }, 'levels.vocals: must be between -6 and 0'],
    [{ own: 0 }, 'own: between -30 and -5 LUFS'],
  ])('%j says %s', (patch, said) => {
    expect(messageFor(patch)).toBe(said);
  });

  it('a field with one bound still says that bound', () => {
    expect(messageFor({ minOnly: 0 })).toMatch(/^minOnly: .*>=1/);
  });
});
