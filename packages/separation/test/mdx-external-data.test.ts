// A model over 2 GB cannot be one ONNX file (protobuf stops at 2 GB): it is saved as the .onnx and its weights
// in a data file beside it (`model.onnx.data`). ONNX Runtime reads that file from beside the model's path,
// so such a model runs; but with its data file missing or cut short (copied without it, an interrupted copy)
// it was called "a corrupt or truncated file, or not an ONNX model", naming only the .onnx, and one ONNX
// file over 2 GB was read whole by ONNX Runtime and called corrupt too. Each is now said as what it is.
import { mkdir, open, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, isImkError } from '@imk/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMdxEngine } from '../src/engines/mdx.ts';
import { makeTempDir, musicLikeFile } from './audio-fixtures.ts';
import { SHAPE, errorOf } from './mdx-model-kit.ts';
import { externalGainGraph, identityGraph, writeModel } from './mdx-graphs.ts';

let dir = '';
let cleanup: () => Promise<void> = () => Promise.resolve();
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('imk-mdx-external-'));
});
afterAll(() => cleanup());

/** A model saved with external data in its own folder: `model.onnx`, `model.onnx.data`, `model.json`. */
async function externalModel(name: string): Promise<{ model: string; data: string }> {
  const folder = join(dir, name);
  await mkdir(folder);
  const made = externalGainGraph(SHAPE, 0.5, 'model.onnx.data');
  const model = await writeModel(join(folder, 'model.onnx'), made.model, { ...SHAPE, primaryStem: 'Vocals' });
  const data = join(folder, 'model.onnx.data');
  await writeFile(data, made.data);
  return { model, data };
}

describe('mdx engine: a model saved with external data (a model over 2 GB)', () => {
  it('runs, its weights read from the data file beside it', async () => {
    const { model } = await externalModel('whole');
    const song = join(dir, 'song.wav');
    await musicLikeFile(song, { seconds: 1 });
    const workDir = join(dir, 'work');
    await mkdir(workDir);
    const engine = await createMdxEngine({ model, threads: 1 });
    const result = await engine.separate({ input: song, workDir });
    await engine.close?.();
    expect(result.frames).toBe(44100);
  }, 60_000);

  it('without its data file: says the data file is missing, naming it, not that the model is corrupt', async () => {
    const { model, data } = await externalModel('no-data');
    await rm(data);
    const error = await errorOf(dir, { model, threads: 1 });
    expect(isImkError(error, 'MODEL_MISSING'), String(error)).toBe(true);
    const message = errorMessage(error);
    expect(message).toContain(
      `MDX model ${model} keeps its weights in an external data file, model.onnx.data`,
    );
    expect(message).toContain(`${data} is not there: copy it beside the model`);
    expect(message).not.toMatch(/corrupt/);
  }, 60_000);

  it('with its data file cut short: says how much of it is there, naming it', async () => {
    const { model, data } = await externalModel('short-data');
    await truncate(data, 2);
    const error = await errorOf(dir, { model, threads: 1 });
    expect(isImkError(error, 'MODEL_INVALID'), String(error)).toBe(true);
    expect(errorMessage(error)).toContain(
      `${data} holds 2 bytes of the 4 the model reads from it: an interrupted copy or download; copy it again`,
    );
  }, 60_000);

  it('one ONNX file over 2 GiB: says an ONNX file cannot be, and how such a model is saved, before reading it', async () => {
    const folder = join(dir, 'one-file');
    await mkdir(folder);
    const model = await writeModel(join(folder, 'huge.onnx'), identityGraph(SHAPE), {
      ...SHAPE,
      primaryStem: 'Vocals',
    });
    // 2 GiB and a byte, sparse: no disk spent.
    const handle = await open(model, 'r+');
    await handle.truncate(2 ** 31 + 1);
    await handle.close();
    // Refused as the engine is made (the model's parameters are read then), before anything is decoded.
    const error = await errorOf(dir, { model, threads: 1 }).catch((e: unknown) => e);
    expect(isImkError(error, 'MODEL_UNSUPPORTED'), String(error)).toBe(true);
    expect(errorMessage(error)).toContain(
      `MDX model ${model} is 2.0 GiB in one file: an ONNX file cannot be over 2 GiB`,
    );
    expect(errorMessage(error)).toContain('save_as_external_data=True');
  }, 60_000);
});
