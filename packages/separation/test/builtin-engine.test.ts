import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isImkError } from '@imk/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuiltinEngine } from '../src/engines/builtin.ts';
import { createEngine } from '../src/engines/registry.ts';
import { nullResidualDb } from '../src/variant-mix.ts';
import { makeTempDir, musicLikeFile } from './audio-fixtures.ts';
import { describeEngineConformance } from './engine-conformance.ts';

describeEngineConformance('builtin', () => createBuiltinEngine());

describe('builtin engine', () => {
  let dir = '';
  let cleanup: () => Promise<void> = () => Promise.resolve();
  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir());
  });
  afterAll(() => cleanup());

  it('writes stems that sum back to the mixture (null residual far below audibility)', async () => {
    const input = join(dir, 'song.wav');
    await musicLikeFile(input, { seconds: 5, codec: ['-c:a', 'pcm_f32le'] });
    const workDir = join(dir, 'sum');
    await mkdir(workDir);
    const result = await createBuiltinEngine().separate({ input, workDir });
    expect(await nullResidualDb(input, result.stems)).toBeLessThan(-100);
  });

  it('rejects a bad parameter up front, naming it', () => {
    let error: unknown;
    try {
      createBuiltinEngine({ hop: 1000 });
    } catch (e) {
      error = e;
    }
    expect(isImkError(error, 'INVALID_PARAMS')).toBe(true);
    expect((error as Error).message).toContain('hop');
  });

  it('is what the registry returns for "builtin", and the registry refuses unknown names', async () => {
    expect((await createEngine('builtin')).name).toBe('builtin');
    await expect(createEngine('spleeter')).rejects.toThrow(/unknown separation engine "spleeter"/);
  });
});
