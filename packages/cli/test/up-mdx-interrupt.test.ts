// `imk up` stopped (Ctrl-C, SIGTERM) while the worker runs an MDX model: the job is released and the
// services stop, but ONNX Runtime cannot stop a model run, and its thread goes on until the run ends. The
// process then waited 5 s and called process.exit, which joins every thread first: it held the terminal (and
// a core) until the dropped run ended, minutes for a large model on a slow CPU. It now ends by the signal
// it was stopped by, as `imk separate` does (shutdownSignal's one endBySignal). The model here runs for
// minutes, so a process that waits for it does not end within the test's limit.
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitOf, within } from '@imk/fs-safe/testing';
import { ffmpeg } from '@imk/media/testing';
import { slowGraph, writeModel } from '@imk/separation/testing';
import { IMK } from './imk-bin.ts';

const SHAPE = { nFft: 2048, dimF: 1024, dimT: 16 };

/** The CPU time a process has used (user + system, /proc/<pid>/stat's utime and stime at 100 ticks a second). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-cli-up-stop-'));
  await mkdir(join(root, 'models'));
  await mkdir(join(root, 'config'));
  // Some 2000 rounds of ~0.1 s each on one core: minutes a run.
  await writeModel(join(root, 'models', 'slow.onnx'), slowGraph(SHAPE, 2000), {
    ...SHAPE,
    primaryStem: 'Vocals',
  });
  await writeFile(
    join(root, 'config', 'instrumental-maker.yaml'),
    'engine:\n  name: mdx\n  model: models/slow.onnx\n  threads: 1\ngracePeriodMs: 0\npollMs: 100\n',
  );
  await ffmpeg('-f', 'lavfi', '-i', 'aevalsrc=0.3*sin(2*PI*220*t):s=44100:d=1', join(root, 'Song.wav'));
  const enqueued = await execa(process.execPath, [IMK, 'enqueue', join(root, 'Song.wav'), '--root', root], {
    reject: false,
    stdin: 'ignore',
  });
  expect(enqueued.exitCode, enqueued.stderr).toBe(0);
}, 60_000);
afterAll(() => rm(root, { recursive: true, force: true }));

describe('imk up, stopped while the worker runs an MDX model', () => {
  it('ends by the signal once its services stopped, without waiting for the model run it dropped', async () => {
    const up = execa(process.execPath, [IMK, 'up', '--root', root, '--only', 'instrumental-maker'], {
      reject: false,
      all: true,
      stdin: 'ignore',
      forceKillAfterDelay: false,
    });
    let said = '';
    up.all?.on('data', (chunk: Buffer) => (said += chunk.toString()));
    // The worker has opened the model for the job…
    await within(
      (async () => {
        while (!said.includes('mdx: running on cpu')) await new Promise((r) => setTimeout(r, 100));
      })(),
      60_000,
      'the worker to start separating',
      () => said,
    );
    // …and the model is running: the process has spent 2 s of CPU since, which nothing else in it does.
    const from = cpuSeconds(up.pid!);
    await within(
      (async () => {
        while (cpuSeconds(up.pid!) - from < 2) await new Promise((r) => setTimeout(r, 100));
      })(),
      60_000,
      'the model run to use 2 s of CPU',
      () => said,
    );
    up.kill('SIGINT');
    const killedAt = Date.now();
    // Before: still running when the limit passed, held by the dropped run (killed by exitOf, failing here).
    const result = await exitOf(up, 'imk up after Ctrl-C', 30_000);
    const how = `exit ${String(result.exitCode)}, signal ${String(result.signal)}, ${Date.now() - killedAt} ms after Ctrl-C (at ${killedAt}):\n${String(result.all)}`;
    expect(result.all, how).toContain('all services stopped');
    expect(result.all, how).toContain('something still holds the process open; ending it by SIGINT');
    expect(result.signal, result.all).toBe('SIGINT');
    // Not ONNX Runtime's crash of a thread torn down mid-run.
    expect(result.all).not.toMatch(/terminate called|Napi::Error|core dumped/);
  }, 150_000);
});
