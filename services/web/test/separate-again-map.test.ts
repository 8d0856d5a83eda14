import { readFileSync, readdirSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { SSHFS_QUEUE_OPTIONS, descendants, mountSshfs, sshfsUsable, startSshd } from '@imk/sync/testing';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { makeOutput, tempRoot } from './helpers.ts';

// "Separate again" handles one request per root and job id at a time (separate-again.ts): side by side, two
// requests (a double click, two tabs) each found none waiting and each queued a whole separation of the song.
// Two roots served by one process (two dashboards, tests) share only job ids, and must not wait on each
// other. The first request for root A is held for real: A's succeeded archive is an sshfs mount of a real
// sshd that is stopped (SIGSTOP), so its look at the archived bundle waits until the server goes on.

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** A logger whose lines the test reads (debug and up). */
function capturingLogger(): { logger: ReturnType<typeof createLogger>; said: (msg: string) => boolean } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n'));
      done();
    },
  });
  return {
    logger: createLogger('test', { destination, level: 'debug' }),
    said: (msg) => lines.some((line) => line.includes(JSON.stringify(msg))),
  };
}

/** Threads of this process waiting for a FUSE server's answer (their kernel stack is in fuse's request wait). */
function waitingOnFuse(): number {
  let waiting = 0;
  for (const tid of readdirSync('/proc/self/task'))
    try {
      if (readFileSync(`/proc/self/task/${tid}/stack`, 'utf8').includes('fuse')) waiting++;
    } catch {
      // The thread ended while we looked.
    }
  return waiting;
}

/** Waits for `check` to hold; fails naming `what` if it has not after a minute (a hang, not a slow machine). */
async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = performance.now() + 60_000;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`${what}: not seen within a minute`);
    await sleep(20);
  }
}

/** A published job whose song is in `archived` (a queue's succeeded archive), as the worker left it. */
async function archive(root: string, archived: string): Promise<void> {
  await makeOutput(root, 'job_same');
  await mkdir(archived, { recursive: true });
  await cp(
    join(root, 'outputs', 'job_same', 'files', 'audio', 'Test Artist - Sine Song.m4a'),
    join(archived, 'song.m4a'),
  );
  await writeFile(
    join(archived, 'job.json'),
    JSON.stringify({ job_id: 'job_same', source_type: 'local', title: 'Sine Song', audio_path: 'song.m4a' }),
  );
}

const separateAgain = (web: RunningWeb) =>
  fetch(`${web.url}/api/jobs/job_same/separate-again`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });

const againJobs = async (root: string) =>
  (await readdir(join(root, 'queues', 'other'))).filter((name) => name.startsWith('job_job_same_again_'));

describe('"Separate again" of one job id in two roots, and twice in one root', () => {
  it('answers the other root while the first request is held, and queues one job per root', async () => {
    // Set up in the test, not in a beforeAll: a set-up that fails fails the test (vitest reports a failed
    // beforeAll's tests as skipped).
    if (!(await sshfsUsable()))
      throw new Error('sshfs, fusermount3 or /dev/fuse is missing: run scripts/system-deps.sh as root');
    const sshd = await startSshd();
    cleanups.push(() => sshd.stop());
    const [a, b] = [await tempRoot('imk-web-again-a-'), await tempRoot('imk-web-again-b-')];
    cleanups.push(a.cleanup, b.cleanup);
    // Root A's succeeded archive is on the share; root B's on this disk.
    await archive(a.root, join(sshd.dataDir, 'succeeded', 'job_job_same'));
    await archive(b.root, join(b.root, 'queues', 'other', 'succeeded', 'job_job_same'));
    // No keep-alive: a stopped server is waited for until it goes on, as a hard-mounted share is.
    const share = await mountSshfs(
      sshd,
      join(sshd.dataDir, 'succeeded'),
      join(a.root, 'queues', 'other', 'succeeded'),
      [...SSHFS_QUEUE_OPTIONS, 'ServerAliveInterval=0'],
    );
    cleanups.push(() => share.unmount());
    const stop = new AbortController();
    const logA = capturingLogger();
    const webA = await listenWeb({
      root: a.root,
      logger: logA.logger,
      signal: stop.signal,
      overrides: { port: 0 },
    });
    const webB = await listenWeb({
      root: b.root,
      logger: capturingLogger().logger,
      signal: stop.signal,
      overrides: { port: 0 },
    });
    cleanups.push(async () => {
      stop.abort();
      await Promise.all([webA.closed, webB.closed]);
    });

    const sshdPid = Number((await readFile(join(sshd.dir, 'sshd.pid'), 'utf8')).trim());
    const signalServer = (signal: 'SIGSTOP' | 'SIGCONT') => {
      for (const p of [{ pid: sshdPid }, ...descendants(sshdPid)]) process.kill(p.pid, signal);
    };
    expect(waitingOnFuse()).toBe(0);
    signalServer('SIGSTOP');
    let firstAnswered = false;
    let first: Promise<Response> | undefined;
    let second: Promise<Response> | undefined;
    let queuedB: { job_id: string; pending: boolean } | undefined;
    try {
      first = separateAgain(webA).finally(() => (firstAnswered = true));
      // Held: its look at the archived bundle waits on the stopped server.
      await until('the first request for root A waiting on its share', () => waitingOnFuse() > 0);
      second = separateAgain(webA);
      // The second request for the same root and job waits for the first (its own word), not beside it.
      await until('the second request for root A waiting for the first', () =>
        logA.said('"Separate again" of this job is being handled: answering after it'),
      );

      // The same job id in root B: answered now, while both of root A's requests are still held.
      const other = await Promise.race([separateAgain(webB), sleep(60_000).then(() => 'held' as const)]);
      expect(other, 'root B waited for root A').not.toBe('held');
      const answer = other as Response;
      expect(answer.status).toBe(202);
      queuedB = (await answer.json()) as { job_id: string; pending: boolean };
      expect(queuedB).toMatchObject({ pending: false, job_id: expect.stringMatching(/^job_same_again_/) });
      expect(await againJobs(b.root)).toEqual([`job_${queuedB.job_id}`]);
      expect(firstAnswered, 'root A was answered before its share went on').toBe(false);
    } finally {
      signalServer('SIGCONT');
    }

    // Root A's two requests, once its share answers: one job queued, both answers name it.
    const [one, two] = await Promise.all([first, second]);
    expect([one.status, two.status]).toEqual([202, 202]);
    const queuedA = (await one.json()) as { job_id: string; pending: boolean };
    expect(queuedA).toMatchObject({ pending: false, job_id: expect.stringMatching(/^job_same_again_/) });
    expect(await two.json()).toEqual({ ...queuedA, pending: true });
    expect(await againJobs(a.root)).toEqual([`job_${queuedA.job_id}`]);
    expect(queuedA.job_id).not.toBe(queuedB?.job_id);
  }, 120_000);
});
