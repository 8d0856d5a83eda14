// What a user's own model file and settings get told before any audio is read.
// - A model of another kind (not 4-D, or not 4 spectrogram channels) was told to "fix mdx_dim_f_set /
//   mdx_dim_t_set in the model's .json", which cannot help; it is now told it is not an MDX-Net model.
// - executionProviders: [cuda] without onnxruntime-node's GPU libraries (npm install scripts off) was
//   MODEL_INVALID, "a corrupt or truncated file, or not an ONNX model": the model was blamed for the
//   install. It is now ENGINE_UNAVAILABLE naming the providers; a corrupt model is still MODEL_INVALID.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isImkError } from '@imk/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMdxEngine } from '../src/engines/mdx.ts';
import type { MdxEngineOptions } from '../src/engines/mdx.ts';
import { makeTempDir } from './audio-fixtures.ts';
import { identityGraph, identityWithDims, writeModel } from './mdx-graphs.ts';

const SHAPE = { nFft: 2048, dimF: 1024, dimT: 16 };
let dir = '';
let cleanup: () => Promise<void> = () => Promise.resolve();
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('imk-mdx-files-'));
});
afterAll(() => cleanup());

/** The error of separating a song that does not exist: the model is opened and checked first. */
async function errorOf(options: MdxEngineOptions): Promise<unknown> {
  const workDir = join(dir, `work-${Math.random().toString(36).slice(2)}`);
  await mkdir(workDir);
  return createMdxEngine(options)
    .separate({ input: join(dir, 'no song.wav'), workDir })
    .catch((e: unknown) => e);
}

describe('mdx engine: the model file and its settings', () => {
  it('says a model whose input is not [batch, 4, dim_f, dim_t] is not an MDX-Net model', async () => {
    for (const [name, dims] of [
      ['rank3', [4, 1024, 16]],
      ['two-channels', ['batch', 2, 1024, 16]],
    ] as const) {
      const model = await writeModel(join(dir, `${name}.onnx`), identityWithDims(SHAPE, [...dims]), SHAPE);
      const error = await errorOf({ model });
      expect(isImkError(error, 'MODEL_SHAPE_MISMATCH'), name).toBe(true);
      expect((error as Error).message).toContain(
        `${name}.onnx takes input input of shape [${dims.join(', ')}]`,
      );
      expect((error as Error).message).toContain('an MDX-Net model takes [batch, 4, dim_f, dim_t]');
      expect((error as Error).message).not.toContain('fix mdx_dim_f_set');
    }
  });

  it('blames an execution provider it cannot use, not a model that opens on the CPU', async () => {
    const model = await writeModel(join(dir, 'good.onnx'), identityGraph(SHAPE), SHAPE);
    const error = await errorOf({ model, executionProviders: ['warp-drive'] });
    expect(isImkError(error, 'ENGINE_UNAVAILABLE'), String(error)).toBe(true);
    expect((error as Error).message).toContain(
      `ONNX Runtime cannot run MDX model ${model} with the execution providers warp-drive here (the model itself opens on the CPU)`,
    );
    expect((error as Error).message).toContain('executionProviders: [cpu]');

    const corrupt = await writeModel(join(dir, 'corrupt.onnx'), identityGraph(SHAPE).subarray(0, 40), SHAPE);
    expect(
      isImkError(await errorOf({ model: corrupt, executionProviders: ['warp-drive'] }), 'MODEL_INVALID'),
    ).toBe(true);
  });
});
