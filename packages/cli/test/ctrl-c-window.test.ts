// A tool being started at the very instant of a Ctrl-C is still in imk's process group (from its fork to its
// setsid) and dies by the signal meant for imk; its job then fails in a way no one can tell from a failure of
// its own. A failure once a stop was asked is therefore not counted: the job is handed back to ready as at
// shutdown, its attempt not spent, and the next start runs it again. Here the tool is made to die by SIGINT
// just after the Ctrl-C, as it does in that instant.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitOf } from '@imk/fs-safe/testing';
import { materializeLegacySample } from '@imk/media/legacy-samples';
import { ctrlCUntilStopping, runOnceSeparating } from './ctrl-c-kit.ts';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-ctrl-c-window-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('a job whose tool dies while imk stops', () => {
  it('is handed back to ready, its attempt not counted, and says why', async () => {
    const dir = join(root, 'window');
    const bundle = 'job_leg_wav_001';
    await materializeLegacySample(`bundles/${bundle}`, join(dir, 'queues', 'other', bundle));
    // The job sits in its separate stage (a demucs that runs until it is killed).
    const { run, tools } = await runOnceSeparating(dir);
    await ctrlCUntilStopping(run);
    // The tool dies by the signal, as one started in that instant does.
    for (const tool of tools) process.kill(Number(tool), 'SIGINT');
    const result = await exitOf(run, 'imk run --once after Ctrl-C', 60_000);
    const log = String(result.all);
    // Back where it waited (the earlier version's layout: a ready bundle sits in its queue's folder).
    const ready = join(dir, 'queues', 'other', bundle);
    expect(existsSync(join(ready, 'job.json')), log).toBe(true);
    const state = JSON.parse(await readFile(join(ready, 'imk-state.json'), 'utf8')) as {
      attempts: number;
      last_error?: unknown;
    };
    expect(state.attempts, log).toBe(0);
    expect(state.last_error, log).toBeUndefined();
    expect(log).toMatch(/job released to ready at shutdown/);
  }, 150_000);
});
