// The worker configured for the mdx engine on a machine where ONNX Runtime cannot be loaded. engine.fallback
// (the default) promises builtin, with a warning, when the engine asked for is not installed here, as for a
// missing demucs; but the runtime was loaded only when the job ran, so every job failed instead. The worker
// now asks for the runtime when it chooses the engine.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { identityGraph, writeModel } from '@imk/separation/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imk, makeRoot, makeSong, publishV1, readManifest, removeRoot } from './helpers.ts';

const WITHOUT_ORT = fileURLToPath(
  new URL('../../../packages/separation/test/fixtures/without-onnxruntime.mjs', import.meta.url),
);
const SHAPE = { nFft: 2048, dimF: 1024, dimT: 16 };
let root: string;

beforeAll(async () => {
  root = await makeRoot(() => ({
    pollMs: 100,
    concurrency: 1,
    variants: ['instrumental'],
    engine: { name: 'mdx', model: 'models/vocals.onnx', threads: 1 },
  }));
  await mkdir(join(root, 'models'));
  await writeModel(join(root, 'models', 'vocals.onnx'), identityGraph(SHAPE), {
    ...SHAPE,
    primaryStem: 'Vocals',
  });
  await mkdir(join(root, 'media'));
  await makeSong(join(root, 'media', 'a.m4a'), 2, 1);
}, 120_000);
afterAll(() => removeRoot(root));

describe('instrumental-maker with the mdx engine where ONNX Runtime cannot be loaded', () => {
  it('uses builtin instead (engine.fallback), saying why in the manifest', async () => {
    await publishV1(
      root,
      'other',
      { job_id: 'noort', source_type: 'local', artist: 'A', title: 'B', audio_path: 'a.m4a' },
      { 'a.m4a': join(root, 'media', 'a.m4a') },
    );
    const result = await imk(['run', '--once', '--root', root], {
      env: { NODE_OPTIONS: `--import ${WITHOUT_ORT}` },
    });
    expect(result.exitCode, String(result.all)).toBe(0);
    const manifest = await readManifest(root, 'noort');
    expect(manifest.engine.name).toBe('builtin');
    expect(manifest.warnings.join('\n')).toMatch(
      /the separation engine "mdx" \(model .*vocals\.onnx\) named by config is not available \(the mdx engine needs ONNX Runtime/,
    );
  }, 180_000);
});
