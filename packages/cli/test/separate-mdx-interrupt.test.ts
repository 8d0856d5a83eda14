// ONNX Runtime cannot stop a model run, and its thread cannot be terminated mid-run (that crashes the
// process), so after Ctrl-C the mdx engine drops the run and lets its thread finish it. `imk separate` then
// printed that it stopped, and went on holding the terminal (and a CPU core) until the run ended: minutes,
// for a large model on a slow CPU. It now exits once it has cleaned up (nothing written, no work folder
// left), whatever the thread is still doing. The model here runs for minutes (a chain of products of
// 1024×1024 matrices), so a process that waits for it does not end within the test's limit.
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
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

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-cli-separate-stop-'));
  await ffmpeg('-f', 'lavfi', '-i', 'aevalsrc=0.3*sin(2*PI*220*t):s=44100:d=1', join(dir, 'Song.wav'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('imk separate --engine mdx, stopped by Ctrl-C mid-run', () => {
  it('exits at once, writing nothing, without waiting for the model run it dropped', async () => {
    // Some 2000 rounds of ~0.1 s each on one core: minutes a run.
    const model = await writeModel(join(dir, 'slow.onnx'), slowGraph(SHAPE, 2000), {
      ...SHAPE,
      primaryStem: 'Vocals',
    });
    const out = join(dir, 'out');
    const temp = join(dir, 'tmp');
    await mkdir(temp);
    const separate = execa(
      process.execPath,
      [IMK, 'separate', join(dir, 'Song.wav'), '--out', out, '--engine', 'mdx', '--model', model],
      { reject: false, env: { TMPDIR: temp }, stdin: 'ignore', forceKillAfterDelay: false },
    );
    // The separation has begun (its first progress line)…
    let stderr = '';
    await within(
      new Promise<void>((resolve, reject) => {
        separate.stderr?.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes('separating (mdx): 0%')) resolve();
        });
        void separate.then(() => reject(new Error(`imk separate ended before separating:\n${stderr}`)));
      }),
      60_000,
      'imk separate to begin separating',
      () => stderr,
    );
    // …and the model is running: the process has spent 2 s of CPU since, which nothing else in it does
    // (decoding a 1 s song takes milliseconds). Ctrl-C before the run began ended the process at once.
    const from = cpuSeconds(separate.pid!);
    await within(
      (async () => {
        while (cpuSeconds(separate.pid!) - from < 2) await new Promise((r) => setTimeout(r, 100));
      })(),
      60_000,
      'the model run to use 2 s of CPU',
      () => stderr,
    );
    separate.kill('SIGINT');
    // Before: still running when the limit passed, held by the dropped run (killed by exitOf, failing here).
    const result = await exitOf(separate, 'imk separate after Ctrl-C', 30_000);
    // Said why, then ended by the Ctrl-C itself, as a program stopped by it is (a shell's status 130).
    expect(result.stderr).toContain('[ABORTED]');
    expect(result.signal, result.stderr).toBe('SIGINT');
    // Not ONNX Runtime's crash of a thread torn down mid-run ("terminate called after throwing …").
    expect(result.stderr).not.toMatch(/terminate called|Napi::Error|core dumped/);
    // Nothing half-written: no files in --out, and the work folder removed.
    expect(await readdir(out).catch(() => [])).toEqual([]);
    // (Only the work folder: other programs leave their own files in TMPDIR.)
    expect((await readdir(temp)).filter((name) => name.startsWith('imk-separate-'))).toEqual([]);
  }, 120_000);
});
