// A model over 2 GB cannot be one ONNX file (protobuf stops at 2 GB): it is saved as the .onnx and its weights
// in a data file beside it (`model.onnx.data`). ONNX Runtime reads that file from beside the model's path,
// so such a model runs; but with its data file missing or cut short (copied without it, an interrupted copy)
// it was called "a corrupt or truncated file, or not an ONNX model", naming only the .onnx, and one ONNX
// file over 2 GB was read whole by ONNX Runtime and called corrupt too. Each is now said as what it is.
import { mkdir, open, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, isImkError, isRetryableError } from '@imk/errors';
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

  // The model's hash (UVR's, of the .onnx) and the check that the file opened is the one hashed covered the
  // .onnx only: weights replaced beside it ran under the old hash, and the manifest and the stem cache key
  // named a model for a run of another. The data files are now part of both.
  it('its weights replaced beside an unchanged .onnx: refused as changed, and named apart by model_data_hash', async () => {
    const cases: [string, (data: string, bytes: Buffer) => Promise<void>][] = [
      ['copied over', (data, bytes) => writeFile(data, bytes)],
      [
        'renamed into place',
        async (data, bytes) => {
          await writeFile(`${data}.part`, bytes);
          await rename(`${data}.part`, data);
        },
      ],
    ];
    const song = join(dir, 'song-replaced.wav');
    await musicLikeFile(song, { seconds: 1 });
    for (const [how, replace] of cases) {
      const { model, data } = await externalModel(`replaced-data-${how.replace(/ /g, '-')}`);
      const engine = await createMdxEngine({ model, threads: 1 });
      const before = engine.params;
      expect(before.model_data_hash, JSON.stringify(before)).toMatch(/^[0-9a-f]{32}$/);
      // Other weights, as many bytes, a moment later (a copy's modification time differs).
      await new Promise((r) => setTimeout(r, 20));
      await replace(data, externalGainGraph(SHAPE, 0.25, 'model.onnx.data').data);
      const workDir = join(dir, `work-${how.replace(/ /g, '-')}`);
      await mkdir(workDir);
      const error = await engine.separate({ input: song, workDir }).catch((e: unknown) => e);
      await engine.close?.();
      expect(isImkError(error, 'MODEL_CHANGED'), `${how}: ${String(error)}`).toBe(true);
      expect(errorMessage(error)).toContain(`external data file ${data} changed after the model's hash`);
      expect(isRetryableError(error)).toBe(true);
      // An engine made now names the same .onnx with other weights: another stem cache key, another manifest.
      const again = await createMdxEngine({ model, threads: 1 });
      expect(again.params.model_hash).toBe(before.model_hash);
      expect(again.params.model_data_hash).not.toBe(before.model_data_hash);
      const result = await again.separate({ input: song, workDir });
      expect(result.frames).toBe(44100);
      await again.close?.();
    }
  }, 60_000);

  it('a model that holds its weights itself has no model_data_hash (its stem cache key is as before)', async () => {
    const folder = join(dir, 'own-weights');
    await mkdir(folder);
    const model = await writeModel(join(folder, 'model.onnx'), identityGraph(SHAPE), {
      ...SHAPE,
      primaryStem: 'Vocals',
    });
    const engine = await createMdxEngine({ model, threads: 1 });
    expect(Object.keys(engine.params)).not.toContain('model_data_hash');
    await engine.close?.();
  }, 60_000);
});
