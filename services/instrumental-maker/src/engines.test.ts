// The worker's engines for the mdx models in the root's models/ folder, as a user who keeps UVR's folders
// there and replaces a model file while the worker runs sees them:
// - a model replaced in place got a new engine (right), but the old engine's ONNX Runtime session was never
//   released: each replacement left one more session's native memory in the worker until it restarted.
//   The old engine now lets go of it, and so does the worker when it stops;
// - a model named models/<subfolder>/<file>.onnx is run, and one that leaves models/ through a symbolic link
//   is refused, naming the link, as `imk models` and `imk doctor` report it.
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isImkError } from '@imk/errors';
import { ffmpeg } from '@imk/media/testing';
import { openMdxSessionCount } from '@imk/separation';
import { externalGainGraph, gainGraph, identityGraph, writeModel } from '@imk/separation/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InstrumentalMakerConfigSchema, configuredEngineParams } from './config.ts';
import { createEngineProvider } from './engines.ts';

const SHAPE = { nFft: 2048, dimF: 1024, dimT: 16 };
let root = '';
let elsewhere = '';
let song = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-engines-'));
  elsewhere = await mkdtemp(join(tmpdir(), 'imk-engines-elsewhere-'));
  await mkdir(join(root, 'models', 'UVR', 'MDX_Net_Models'), { recursive: true });
  await writeModel(join(root, 'models', 'UVR', 'MDX_Net_Models', 'vocals.onnx'), identityGraph(SHAPE), {
    ...SHAPE,
    primaryStem: 'Vocals',
  });
  await writeModel(join(elsewhere, 'outside.onnx'), identityGraph(SHAPE), {
    ...SHAPE,
    primaryStem: 'Vocals',
  });
  await symlink(elsewhere, join(root, 'models', 'linked-folder'));
  await symlink(join(elsewhere, 'outside.onnx'), join(root, 'models', 'linked.onnx'));
  // A link that stays inside models/ is followed (the parameters are looked for beside the link).
  await symlink(join('UVR', 'MDX_Net_Models', 'vocals.onnx'), join(root, 'models', 'alias.onnx'));
  await symlink(join('UVR', 'MDX_Net_Models', 'vocals.json'), join(root, 'models', 'alias.json'));
  song = join(root, 'song.wav');
  await ffmpeg('-f', 'lavfi', '-i', 'aevalsrc=0.3*sin(2*PI*220*t)|0.2*sin(2*PI*330*t):s=44100:d=1', song);
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(elsewhere, { recursive: true, force: true });
});

function providerFor(model: string) {
  const config = InstrumentalMakerConfigSchema.parse({ engine: { name: 'mdx', model, threads: 1 } });
  const spec = { name: 'mdx', params: configuredEngineParams(config.engine) };
  return { engines: createEngineProvider(root, config), spec };
}

async function separate(engine: Awaited<ReturnType<ReturnType<typeof providerFor>['engines']['get']>>) {
  const workDir = await mkdtemp(join(root, 'work-'));
  return engine.separate({ input: song, workDir });
}

describe('the worker’s mdx engines', () => {
  it('releases the old session when the model file is replaced, and every session when it stops', async () => {
    const model = 'models/UVR/MDX_Net_Models/vocals.onnx';
    const { engines, spec } = providerFor(model);
    const first = await engines.get(spec);
    await separate(first);
    expect(openMdxSessionCount()).toBe(1);
    expect(await engines.get(spec)).toBe(first);

    // A new file renamed over the model, as a copy tool does.
    const next = join(root, 'models', 'next.tmp');
    await writeModel(next, gainGraph(SHAPE, 0.5));
    await rename(next, join(root, model));
    const second = await engines.get(spec);
    expect(second).not.toBe(first);
    expect(second.params.model_hash).not.toBe(first.params.model_hash);
    await separate(second);
    // One model, one session: the replaced model's is gone.
    expect(openMdxSessionCount()).toBe(1);

    await engines.close();
    expect(openMdxSessionCount()).toBe(0);
  }, 120_000);

  it('runs a model named through a link inside models/, and refuses one that leaves it', async () => {
    const alias = providerFor('models/alias.onnx');
    const result = await separate(await alias.engines.get(alias.spec));
    expect(result.frames).toBe(44100);
    await alias.engines.close();

    for (const [model, link] of [
      ['models/linked.onnx', 'linked.onnx'],
      ['models/linked-folder/outside.onnx', 'linked-folder'],
    ] as const) {
      const { engines, spec } = providerFor(model);
      const error = await engines.get(spec).catch((e: unknown) => e);
      expect(isImkError(error, 'MODEL_OUTSIDE_FOLDER'), `${model}: ${String(error)}`).toBe(true);
      expect((error as Error).message).toContain(`${link} is a symbolic link that leaves models/`);
      expect((error as Error).message).toContain('copy the model there instead of linking to it');
    }
  }, 60_000);

  // A model saved as .onnx + .data (its weights beside it): the worker's engine was made again only when the
  // .onnx or its parameter files changed, so with new weights renamed over the .data the old engine refused
  // each job (MODEL_CHANGED, retried) against the same engine, until the worker restarted.
  it('makes a new engine when the weights of a model saved with external data are replaced', async () => {
    const folder = join(root, 'models', 'external');
    await mkdir(folder);
    const made = externalGainGraph(SHAPE, 0.5, 'model.onnx.data');
    await writeModel(join(folder, 'model.onnx'), made.model, { ...SHAPE, primaryStem: 'Vocals' });
    await writeFile(join(folder, 'model.onnx.data'), made.data);
    const { engines, spec } = providerFor('models/external/model.onnx');
    const first = await engines.get(spec);
    await separate(first);

    await writeFile(join(folder, 'next.tmp'), externalGainGraph(SHAPE, 0.25, 'model.onnx.data').data);
    await rename(join(folder, 'next.tmp'), join(folder, 'model.onnx.data'));
    const second = await engines.get(spec);
    expect(second).not.toBe(first);
    expect(second.params.model_hash).toBe(first.params.model_hash);
    expect(second.params.model_data_hash).not.toBe(first.params.model_data_hash);
    expect((await separate(second)).frames).toBe(44100);
    await engines.close();
  }, 60_000);
});
