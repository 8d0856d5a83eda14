import { describe, expect, it } from 'vitest';
import { validateJob } from '../src/index.ts';

// A user reading a rejection wants one reason per field, the one with the allowed range: zod reports every
// check a value fails, and `.int()` has its own bound (the largest safe integer) that says nothing useful.
const job = (options: Record<string, unknown>) => ({
  job_id: 'one_reason',
  source_type: 'other',
  audio_path: 'a.wav',
  options,
});

describe('a job.json field out of range', () => {
  it.each([
    // The whole range since the range change (before it, the side crossed only: '<=100', '>=-100'…).
    ['priority', 1e308, 'must be between -100 and 100'],
    ['priority', -1e308, 'must be between -100 and 100'],
    ['sample_rate', 1e308, 'must be between 8000 and 192000'],
    ['sample_rate', -1e308, 'must be between 8000 and 192000'],
    ['pitch', 1e308, 'must be between -12 and 12'],
    ['tempo', -1e308, 'must be between 0.5 and 2'],
  ])('options.%s: %d is one reason, the allowed range (%s)', (field, value, bound) => {
    const result = validateJob(job({ [field]: value }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const mine = result.problems.filter((p) => p.path === `options.${field}`);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.message).toContain(bound);
    expect(mine[0]!.message).not.toContain('9007199254740991');
  });

  it('keeps one reason for each of several bad fields, in document order', () => {
    const result = validateJob(job({ priority: 1e308, sample_rate: 1e308, bit_depth: 7 }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.path)).toEqual([
      'options.sample_rate',
      'options.bit_depth',
      'options.priority',
    ]);
  });
});

// A field that takes one of a few values (bit_depth 16 | 24 | 32, keep_stems true/false or a list of
// stems) was refused with zod's bare "Invalid input", which does not say what it takes: the rejection of
// a bundle with bit_depth 20 read "job.json: options.bit_depth: Invalid input".
describe('a job.json field that takes one of a few values', () => {
  it.each([
    ['bit_depth', 20, 'must be 16, 24 or 32'],
    ['bit_depth', '24', 'must be 16, 24 or 32'],
    ['keep_stems', ['piano'], 'must be true, false or a list of "vocals", "drums", "bass", "other"'],
    ['keep_stems', 'yes', 'must be true, false or a list of "vocals", "drums", "bass", "other"'],
  ])('options.%s: %j is told what it may be (%s)', (field, value, said) => {
    const result = validateJob(job({ [field]: value }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([{ file: 'job.json', path: `options.${field}`, message: said }]);
  });
});
