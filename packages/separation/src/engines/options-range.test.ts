import { describe, expect, it } from 'vitest';
import { createDemucsEngine } from './demucs.ts';
import { createMdxEngine } from './mdx.ts';

// An engine option out of its range is told the whole range, as every other validated setting is
// (oneIssuePerField): before, "mdx.batchSize: Too small: expected number to be >=1".
describe('engine options out of range', () => {
  it.each([
    [{ batchSize: 0 }, 'mdx.batchSize: must be between 1 and 16'],
    [{ batchSize: 17 }, 'mdx.batchSize: must be between 1 and 16'],
    [{ overlap: 1 }, 'mdx.overlap: must be between 0 and 0.99'],
    [{ compensate: 0 }, 'mdx.compensate: must be more than 0 and at most 10'],
    // A number written as a string (a job.json's "overlap": "0.5") was told only "Invalid input".
    [{ overlap: '0.5' }, 'mdx.overlap: must be "default" or a number between 0 and 0.99'],
    [{ compensate: 'Auto' }, 'mdx.compensate: must be "auto" or a number more than 0 and at most 10'],
  ])('mdx %j says %s', async (options, said) => {
    await expect(createMdxEngine({ model: 'model.onnx', ...(options as object) })).rejects.toThrow(said);
  });

  it('demucs says its one bound as before', () => {
    expect(() => createDemucsEngine({ shifts: -1 })).toThrow(/demucs\.shifts: .*>=0/);
  });
});
