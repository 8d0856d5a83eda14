import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ffmpeg } from '@imk/media/testing';
import { identityGraph, identityWithDims, writeModel } from '@imk/separation/testing';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMK } from './imk-bin.ts';

const SHAPE = { nFft: 2048, dimF: 1024, dimT: 16 };

describe('imk models, imk doctor and imk separate --engine mdx', () => {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'imk-cli-models-'));
    await mkdir(join(root, 'models'));
    await writeModel(join(root, 'models', 'a-identity.onnx'), identityGraph(SHAPE), {
      ...SHAPE,
      primaryStem: 'Vocals',
    });
    await writeModel(join(root, 'models', 'b-mystery.onnx'), identityGraph(SHAPE));
    await writeModel(
      join(root, 'models', 'c-wrong.onnx'),
      identityWithDims(SHAPE, ['batch', 4, 512, 16]),
      SHAPE,
    );
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('lists each model with its hash, parameters and primary stem, and names what is wrong', async () => {
    const r = await execa(process.execPath, [IMK, 'models', '--root', root, '--check'], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/a-identity\.onnx {2}[0-9a-f]{32}/);
    expect(r.stdout).toContain('n_fft 2048, dim_f 1024, dim_t 16, compensate 1; primary stem Vocals');
    expect(r.stdout).toContain('input shape [batch_size, 4, 1024, 16]: ok');
    expect(r.stdout).toMatch(/b-mystery\.onnx[^]*is not a known model[^]*mdx_dim_f_set/);
    expect(r.stdout).toMatch(/c-wrong\.onnx[^]*\[batch, 4, 512, 16\]/);
    const json = await execa(process.execPath, [IMK, 'models', '--root', root, '--json'], { reject: false });
    const list = JSON.parse(json.stdout) as {
      file: string;
      hash: string | null;
      params: { dimF: number } | null;
    }[];
    expect(list.map((m) => [m.file.endsWith('.onnx'), m.hash?.length, m.params?.dimF ?? null])).toEqual([
      [true, 32, 1024],
      [true, 32, null],
      [true, 32, 1024],
    ]);
  });

  it('doctor opens each model and names the one whose shape is wrong', async () => {
    await mkdir(join(root, 'config'), { recursive: true });
    await writeFile(
      join(root, 'config', 'instrumental-maker.yaml'),
      'engine:\n  name: mdx\n  model: models/c-wrong.onnx\n',
    );
    const r = await execa(process.execPath, [IMK, 'doctor', '--root', root], { reject: false });
    const text = r.stdout + r.stderr;
    expect(text).toMatch(/c-wrong\.onnx takes input input of shape \[batch, 4, 512, 16\]/);
    expect(text).toMatch(/b-mystery\.onnx[^\n]*not a known model/);
  }, 60_000);

  it('separate --engine mdx --model runs the model', async () => {
    const input = join(root, 'song.wav');
    await ffmpeg('-f', 'lavfi', '-i', 'aevalsrc=0.3*sin(2*PI*220*t)|0.3*sin(2*PI*330*t):s=44100:d=2', input);
    const out = join(root, 'out');
    const model = join(root, 'models', 'a-identity.onnx');
    const r = await execa(process.execPath, [
      IMK,
      'separate',
      input,
      '--out',
      out,
      '--engine',
      'mdx',
      '--model',
      model,
      '--variants',
      'instrumental',
      '--format',
      'wav',
    ]);
    expect(r.stdout.trim()).toBe(join(out, 'song - instrumental.wav'));
    expect(r.stderr).toContain('separating (mdx): 100%');
    const missing = await execa(process.execPath, [IMK, 'separate', input, '--out', out, '--engine', 'mdx'], {
      reject: false,
    });
    expect(missing.stderr).toContain('--engine mdx needs --model');
  }, 60_000);
});
