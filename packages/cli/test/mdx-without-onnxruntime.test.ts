// The mdx engine loads onnxruntime-node only when a model is opened. Where it cannot be loaded (an install
// without it, no prebuilt native library for the platform, a musl system), `imk separate --engine mdx`
// printed Node's "Cannot find module … Require stack" with no code (a worker took it for a passing fault),
// and `imk doctor` told the user to give the model a .json. Now it is ENGINE_UNAVAILABLE, saying what is
// missing and what to do, and doctor's fix says the same.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ffmpeg } from '@imk/media/testing';
import { identityGraph, writeModel } from '@imk/separation/testing';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMK } from './imk-bin.ts';

const WITHOUT_ORT = fileURLToPath(
  new URL('../../separation/test/fixtures/without-onnxruntime.mjs', import.meta.url),
);
const SHAPE = { nFft: 2048, dimF: 1024, dimT: 16 };

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-no-ort-'));
  await mkdir(join(root, 'models'));
  await writeModel(join(root, 'models', 'vocals.onnx'), identityGraph(SHAPE), {
    ...SHAPE,
    primaryStem: 'Vocals',
  });
  await ffmpeg('-f', 'lavfi', '-i', 'aevalsrc=0.3*sin(2*PI*220*t):s=44100:d=1', join(root, 'song.wav'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const imk = (args: string[]) =>
  execa(process.execPath, ['--import', WITHOUT_ORT, IMK, ...args], {
    reject: false,
    timeout: 60_000,
    stdin: 'ignore',
  });

describe('the mdx engine where ONNX Runtime cannot be loaded', () => {
  it('imk separate says ENGINE_UNAVAILABLE, what is missing and what to do', async () => {
    const model = join(root, 'models', 'vocals.onnx');
    const r = await imk([
      'separate',
      join(root, 'song.wav'),
      '--out',
      join(root, 'out'),
      '--engine',
      'mdx',
      '--model',
      model,
    ]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('[ENGINE_UNAVAILABLE]');
    expect(r.stderr).toContain('the mdx engine needs ONNX Runtime (the onnxruntime-node package)');
    expect(r.stderr).toMatch(/run npm ci again .*or use the builtin engine/);
    expect(r.stderr).not.toContain('Require stack');
  });

  it('imk models --check and imk doctor say so, and do not blame the model', async () => {
    const models = await imk(['models', '--root', root, '--check']);
    expect(models.exitCode).toBe(1);
    expect(models.stdout).toContain('primary stem Vocals');
    expect(models.stdout).toContain('problem: the mdx engine needs ONNX Runtime');
    const doctor = await imk(['doctor', '--root', root]);
    expect(doctor.stdout).toMatch(/MDX-Net models .*vocals\.onnx: the mdx engine needs ONNX Runtime/);
    expect(doctor.stdout).toContain('install ONNX Runtime again (npm ci');
    expect(doctor.stdout).not.toContain('give the model a <model>.json');
  });

  it('imk doctor with engine mdx configured: a warning, as the worker then runs builtin (engine.fallback)', async () => {
    await mkdir(join(root, 'config'), { recursive: true });
    const config = join(root, 'config', 'instrumental-maker.yaml');
    await writeFile(config, 'engine:\n  name: mdx\n  model: models/vocals.onnx\n');
    const doctor = await imk(['doctor', '--root', root]);
    expect(doctor.stdout).toMatch(
      /WARN +separation engine +the mdx engine needs ONNX Runtime .*; jobs run on the builtin engine instead \(engine\.fallback\)/,
    );
    await writeFile(config, 'engine:\n  name: mdx\n  model: models/vocals.onnx\n  fallback: false\n');
    expect((await imk(['doctor', '--root', root])).stdout).toMatch(
      /FAIL +separation engine +the mdx engine needs ONNX Runtime .*; with engine\.fallback: false every job fails/,
    );
  });
});
