// A user names their own MDX-Net model (config, `--model`, a job's engine_params) and keeps models in
// <root>/models/. A named pipe there (x.onnx, or a model's x.json) was opened with a plain blocking open,
// synchronously: `imk separate`, `imk models --check` and `imk doctor` hung for ever, printing nothing (and a
// worker froze whole). A folder named x.onnx said "EISDIR: illegal operation on a directory, read". Each
// is now refused without blocking, naming the file and what it is.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ffmpeg } from '@imk/media/testing';
import { identityGraph, writeModel } from '@imk/separation/testing';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMK } from './imk-bin.ts';

const SHAPE = { nFft: 2048, dimF: 1024, dimT: 16 };

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-models-fifo-'));
  const models = join(root, 'models');
  await mkdir(models);
  await writeModel(join(models, 'a-good.onnx'), identityGraph(SHAPE), { ...SHAPE, primaryStem: 'Vocals' });
  execFileSync('mkfifo', [join(models, 'b-pipe.onnx')]);
  await mkdir(join(models, 'c-folder.onnx'));
  // A real model whose <model>.json is a named pipe.
  await writeModel(join(models, 'd-pipe-json.onnx'), identityGraph(SHAPE));
  execFileSync('mkfifo', [join(models, 'd-pipe-json.json')]);
  await ffmpeg(
    '-f',
    'lavfi',
    '-i',
    'aevalsrc=0.3*sin(2*PI*220*t)|0.3*sin(2*PI*330*t):s=44100:d=1',
    join(root, 'song.wav'),
  );
});
afterAll(() => rm(root, { recursive: true, force: true }));

const run = (args: string[]) =>
  // A normal run takes a few seconds here; a blocked open never ends.
  execa(process.execPath, [IMK, ...args], { reject: false, timeout: 60_000, stdin: 'ignore' });

describe('MDX models that are not regular files', () => {
  it('imk models --check finishes and names each one and what it is', async () => {
    const result = await run(['models', '--root', root, '--check']);
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('input shape [batch_size, 4, 1024, 16]: ok');
    expect(result.stdout).toMatch(
      /b-pipe\.onnx cannot be read: it is a FIFO \(named pipe\), not a regular file/,
    );
    expect(result.stdout).toMatch(/c-folder\.onnx cannot be read: it is a folder, not a regular file/);
    expect(result.stdout).toMatch(
      /d-pipe-json\.json cannot be read: it is a FIFO \(named pipe\), not a regular file/,
    );
  });

  it('imk doctor finishes and names them', async () => {
    const result = await run(['doctor', '--root', root]);
    expect(result.timedOut).toBe(false);
    expect(result.stdout).toMatch(
      /MDX-Net models .*b-pipe\.onnx cannot be read: it is a FIFO \(named pipe\)/,
    );
  });

  it('imk separate --model <pipe> fails at once, naming it', async () => {
    const stderr = new Map<string, string>();
    for (const model of ['b-pipe.onnx', 'd-pipe-json.onnx', 'no-such.onnx']) {
      const result = await run([
        'separate',
        join(root, 'song.wav'),
        '--out',
        join(root, 'out'),
        '--engine',
        'mdx',
        '--model',
        join(root, 'models', model),
      ]);
      expect(result.timedOut, model).toBe(false);
      expect(result.exitCode, model).not.toBe(0);
      stderr.set(model, result.stderr);
    }
    expect(stderr.get('no-such.onnx')).toContain(
      `MDX model ${join(root, 'models', 'no-such.onnx')} cannot be read: it does not exist`,
    );
  });
});
