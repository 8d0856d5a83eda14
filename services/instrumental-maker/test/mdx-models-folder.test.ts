// What a job gets from the models in <root>/models/, end to end through a worker:
// - a GPU that runs out of memory on a chunk, with [gpu, cpu] configured, failed the job; the rest of the
//   job now runs on the CPU and the manifest says so (this machine has no GPU: "gpu-sim", a test engine,
//   stands in for one);
// - a job may name a model in a subfolder of models/ (models/UVR/MDX_Net_Models/x.onnx, as imk models lists
//   it) and give UVR's Volume Compensation (compensate) as it gives overlap or denoise;
// - the manifest named such a model by its file name only, so two models of one name in different
//   subfolders differed only by model_hash; it now records the path in models/ (UVR/MDX_Net_Models/x.onnx);
// - a job naming a model that leaves models/ through a symbolic link is refused, not retried, naming the
//   link and the setting that named it;
// - a worker that stops lets go of its models' ONNX Runtime sessions (under `imk up` the process goes on).
import { mkdir, mkdtemp, readFile, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openMdxSessionCount } from '@imk/separation';
import { identityGraph, writeModel } from '@imk/separation/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imkInProcess } from '../../../packages/cli/test/in-process.ts';
import { makeRoot, makeSong, publishV1, readManifest, removeRoot } from './helpers.ts';

const GPU_SIM_ENGINE = fileURLToPath(new URL('./fixtures/gpu-sim-mdx-engine.ts', import.meta.url));
const SHAPE = { nFft: 2048, dimF: 1024, dimT: 16 };
let root = '';
let elsewhere = '';
let model = '';

beforeAll(async () => {
  root = await makeRoot((dir) => ({
    pollMs: 100,
    concurrency: 1,
    variants: ['instrumental'],
    engine: {
      name: 'mdx-gpu-sim',
      module: GPU_SIM_ENGINE,
      params: {
        model: join(dir, 'models', 'UVR', 'MDX_Net_Models', 'vocals.onnx'),
        executionProviders: ['gpu-sim', 'cpu'],
        failFrom: 3,
        threads: 1,
      },
    },
  }));
  elsewhere = await mkdtemp(join(tmpdir(), 'imk-models-elsewhere-'));
  model = join(root, 'models', 'UVR', 'MDX_Net_Models', 'vocals.onnx');
  await mkdir(join(root, 'models', 'UVR', 'MDX_Net_Models'), { recursive: true });
  await writeModel(model, identityGraph(SHAPE), { ...SHAPE, primaryStem: 'Vocals' });
  await writeModel(join(elsewhere, 'outside.onnx'), identityGraph(SHAPE), {
    ...SHAPE,
    primaryStem: 'Vocals',
  });
  await symlink(join(elsewhere, 'outside.onnx'), join(root, 'models', 'linked.onnx'));
  // Another model of the same name in another subfolder.
  await mkdir(join(root, 'models', 'Mine'));
  const other = { ...SHAPE, dimT: 32 };
  await writeModel(join(root, 'models', 'Mine', 'vocals.onnx'), identityGraph(other), {
    ...other,
    primaryStem: 'Vocals',
  });
  await mkdir(join(root, 'media'));
  await makeSong(join(root, 'media', 'a.m4a'), 3, 4);
}, 120_000);

afterAll(async () => {
  await removeRoot(root);
  await rm(elsewhere, { recursive: true, force: true });
});

const song = () => ({ 'a.m4a': join(root, 'media', 'a.m4a') });

describe('mdx models in models/ through the worker', () => {
  it('finishes a job on the CPU when the GPU runs out of memory mid-run, and says so in the manifest', async () => {
    await publishV1(root, 'other', { job_id: 'gpu', source_type: 'local', audio_path: 'a.m4a' }, song());
    const run = await imkInProcess('run', '--once', '--root', root);
    expect(run.exitCode, run.stdout).toBe(0);
    const manifest = await readManifest(root, 'gpu');
    expect(manifest.warnings).toContainEqual(
      expect.stringMatching(
        /^mdx: the gpu-sim execution provider failed after 2 model runs of this job \(.*out of memory.*\); the rest of the job ran on cpu; later jobs of this worker \(any model\) do not start on gpu-sim until it restarts \(restart it to try gpu-sim again\)$/,
      ),
    );
  }, 120_000);

  it('runs a model in a subfolder named by a job, with its compensate; refuses one that leaves models/', async () => {
    await publishV1(
      root,
      'other',
      {
        job_id: 'sub',
        source_type: 'local',
        audio_path: 'a.m4a',
        options: {
          engine: 'mdx',
          engine_params: { model: 'models/UVR/MDX_Net_Models/vocals.onnx', compensate: 1.08 },
        },
      },
      song(),
    );
    await publishV1(
      root,
      'other',
      {
        job_id: 'mine',
        source_type: 'local',
        audio_path: 'a.m4a',
        // A job cannot make the manifest name the model otherwise.
        options: { engine: 'mdx', engine_params: { model: 'models/Mine/vocals.onnx', modelName: 'x.onnx' } },
      },
      song(),
    );
    await publishV1(
      root,
      'other',
      {
        job_id: 'out',
        source_type: 'local',
        audio_path: 'a.m4a',
        options: { engine: 'mdx', engine_params: { model: 'models/linked.onnx' } },
      },
      song(),
    );
    await imkInProcess('run', '--once', '--root', root);
    // The worker stopped (run --once, in this process): it let go of the model's ONNX Runtime session.
    expect(openMdxSessionCount()).toBe(0);
    const manifest = await readManifest(root, 'sub');
    expect(manifest.engine).toMatchObject({
      name: 'mdx',
      params: { model: 'UVR/MDX_Net_Models/vocals.onnx', compensate: 1.08, primary_stem: 'Vocals' },
    });
    const mine = await readManifest(root, 'mine');
    expect(mine.engine.params).toMatchObject({ model: 'Mine/vocals.onnx', dim_t: 32 });
    expect(mine.engine.params.model_hash).not.toBe(manifest.engine.params.model_hash);
    const failed = join(root, 'queues', 'other', 'failed');
    const [folder] = await readdir(failed);
    const error = JSON.parse(await readFile(join(failed, folder!, 'imk-error.json'), 'utf8')) as {
      job_id: string;
      message: string;
      retryable: boolean;
    };
    expect(error).toMatchObject({ job_id: 'out', retryable: false });
    expect(error.message).toContain(
      `job.json options: engine_params.model: MDX model ${join(root, 'models', 'linked.onnx')}: models/linked.onnx is a symbolic link that leaves models/`,
    );
  }, 120_000);
});
