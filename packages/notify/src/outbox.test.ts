import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clockOffsetEnv } from '@imk/fs-safe/testing';
import { createLogger } from '@imk/log';
import { nodeScript } from '../../cli/test/bundle/scripts.ts';
import { startReceiver } from '../test/receiver.ts';
import { NotifyConfigSchema } from './config.ts';
import { jobEvent } from './events.ts';
import { readNotifyResults } from './results.ts';
import { createNotifier } from './notifier.ts';
import { STALE_CLAIM_MS } from './outbox.ts';
import { outboxDir, sendingDir } from './store.ts';

// The outbox is shared by every process that sends (worker, nas-sync, `imk run`): each event must reach
// each target once, whatever the timing between them, and a process that dies mid-send must not make
// the others send again what it already delivered. Real processes, real loopback receivers.
const logger = createLogger('notify-test', { level: 'silent' });
const CHILD = fileURLToPath(new URL('../test/drain-child.ts', import.meta.url));
let state: string;
beforeEach(async () => {
  state = await mkdtemp(join(tmpdir(), 'imk-outbox-'));
});
afterEach(async () => {
  await rm(state, { recursive: true, force: true });
});

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A promise the test settles itself, once it has seen what it waits for. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/** `promise`, and whether it has settled yet. */
function settledFlag<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  const tracked = promise.finally(() => (settled = true));
  return { promise: tracked, settled: () => settled };
}

const jobsOf = (requests: { body: string }[]) =>
  requests.map((r) => (JSON.parse(r.body) as { job_id: string }).job_id);

describe('the notification outbox between processes', () => {
  it('an event that waited in the outbox for an hour is sent once, though a second notifier drains during a slow send', async () => {
    // The send is held until the second drain has run: it always happens during the slow send.
    const secondDrained = deferred();
    const hook = await startReceiver(() => ({ status: 200, holdUntil: secondDrained.promise }));
    try {
      const config = NotifyConfigSchema.parse({ targets: [{ type: 'webhook', url: hook.url }] });
      const a = createNotifier({ stateDir: state, config, logger });
      const b = createNotifier({ stateDir: state, config, logger });
      await a.emit(jobEvent('job.succeeded', { jobId: 'job_old' }));
      // Written an hour ago (e.g. by an `imk run` whose receiver was down): the file's time says so.
      const [file] = await readdir(outboxDir(state));
      const hourAgo = new Date(Date.now() - 3_600_000);
      await utimes(join(outboxDir(state), file!), hourAgo, hourAgo);

      const first = settledFlag(a.drain());
      await until(() => hook.requests.length > 0, 'the first send');
      await b.drain();
      expect(first.settled()).toBe(false); // the second drain ran while the first send was held
      secondDrained.resolve();
      await first.promise;
      // Nothing can send it again: both notifiers have stopped (each drained once more on the way), and no
      // entry or claim of it is left that a later pass (or another process, once a claim looks stale)
      // would take up. The one try is what the results recorded.
      await Promise.all([a.stop(), b.stop()]);
      expect(jobsOf(hook.requests)).toEqual(['job_old']);
      expect(await readdir(outboxDir(state))).toEqual([]);
      expect(await readdir(sendingDir(state))).toEqual([]);
      expect(await readNotifyResults(state)).toEqual([
        expect.objectContaining({ event: 'job.succeeded', ok: true, attempt: 1, final: true }),
      ]);
    } finally {
      await hook.close();
    }
  });

  it('a target reached by one notifier is not sent again by another that listed the event before', async () => {
    // A is busy with job_1 (a slow answer) while B sends job_2: reached "fast", "down" refused and due
    // later. A then takes job_2 from the outbox: only "down" is left, and it is not due yet.
    const bDrained = deferred();
    const fast = await startReceiver((r) => ({
      status: 200,
      ...(r.body.includes('job_1') && { holdUntil: bDrained.promise }),
    }));
    const down = await startReceiver(() => ({ status: 503 }));
    try {
      const config = NotifyConfigSchema.parse({
        targets: [
          { type: 'webhook', name: 'fast', url: fast.url },
          { type: 'webhook', name: 'down', url: down.url, events: ['job.failed'] },
        ],
      });
      const a = createNotifier({ stateDir: state, config, logger });
      const b = createNotifier({ stateDir: state, config, logger });
      await a.emit(jobEvent('job.succeeded', { jobId: 'job_1' }));
      await sleep(5); // event ids start with the time: job_1 is listed first
      await a.emit(jobEvent('job.failed', { jobId: 'job_2', reason: 'boom' }));

      const first = settledFlag(a.drain());
      await until(() => fast.requests.length > 0, 'the send of job_1');
      await b.drain();
      expect(first.settled()).toBe(false); // A was still busy with job_1 while B sent job_2
      bDrained.resolve();
      await first.promise;
      expect(jobsOf(fast.requests).sort()).toEqual(['job_1', 'job_2']);
      expect(jobsOf(down.requests)).toEqual(['job_2']);
      expect(await readdir(outboxDir(state))).toHaveLength(1); // job_2 for "down", retried later
    } finally {
      await fast.close();
      await down.close();
    }
  });

  it('after a process died mid-event, the event is taken up again for the targets it had not reached only', async () => {
    const reached = await startReceiver();
    // The first try never gets an answer: the process is killed while it waits.
    const hangs = await startReceiver((_, i) => ({ status: 200, delayMs: i === 0 ? 600_000 : 0 }));
    try {
      const raw = {
        targets: [
          { type: 'webhook', name: 'reached', url: reached.url },
          { type: 'webhook', name: 'hangs', url: hangs.url },
        ],
      };
      const config = NotifyConfigSchema.parse(raw);
      const emitter = createNotifier({ stateDir: state, config, logger });
      await emitter.emit(jobEvent('job.succeeded', { jobId: 'job_crash' }));

      const child = execa(
        process.execPath,
        [...nodeScript(CHILD), JSON.stringify({ stateDir: state, config: raw })],
        {
          reject: false,
        },
      );
      await until(() => hangs.requests.length > 0, 'the child to reach the second target', 30_000);
      child.kill('SIGKILL');
      await child;

      // Ten minutes later another process (or the restarted one) takes the abandoned event up again.
      const later = createNotifier({
        stateDir: state,
        config,
        logger,
        now: () => Date.now() + STALE_CLAIM_MS + 60_000,
      });
      await later.drain();
      expect(jobsOf(reached.requests)).toEqual(['job_crash']);
      expect(jobsOf(hangs.requests)).toEqual(['job_crash', 'job_crash']);
      expect(await readdir(outboxDir(state))).toEqual([]);
    } finally {
      await reached.close();
      await hangs.close();
    }
  });

  it('when a full disk stops a sender from writing what is left, the event is taken up again later for the targets it had not reached only', async () => {
    const first = await startReceiver();
    const second = await startReceiver();
    const failing = await startReceiver(() => ({ status: 500 }));
    try {
      const raw = {
        targets: [
          { type: 'webhook', name: 'first', url: first.url },
          { type: 'webhook', name: 'second', url: second.url },
          { type: 'webhook', name: 'failing', url: failing.url },
        ],
      };
      const config = NotifyConfigSchema.parse(raw);
      const emitter = createNotifier({ stateDir: state, config, logger });
      // An event of ~16 KiB (a long failure reason), so no copy of it fits under the child's limit.
      await emitter.emit(jobEvent('job.failed', { jobId: 'job_full', reason: 'x'.repeat(16_000) }));

      // The child sends with a file-size limit of 8 KiB, which stands for a full disk: every write of the
      // event (the progress it records, what it puts back for the failing target) fails.
      const child = await execa(
        'bash',
        [
          '-c',
          'ulimit -f 8; exec "$0" "$@"',
          process.execPath,
          ...nodeScript(CHILD),
          JSON.stringify({ stateDir: state, config: raw }),
        ],
        { reject: false, all: true },
      );
      expect(jobsOf(first.requests), String(child.all)).toEqual(['job_full']);
      // What is left (the failing target's retry) could not be written: the claim is still there.
      expect(await readdir(sendingDir(state))).toHaveLength(1);

      // Ten minutes later, with room again, another process (or the restarted one) takes the event up:
      // the failing target is tried again, the two reached ones are not sent it a second time.
      const later = createNotifier({
        stateDir: state,
        config,
        logger,
        now: () => Date.now() + STALE_CLAIM_MS + 60_000,
      });
      await later.drain();
      // Each reached target was sent the event once, over both processes; the failing one was tried again.
      expect(jobsOf(first.requests)).toEqual(['job_full']);
      expect(jobsOf(second.requests)).toEqual(['job_full']);
      expect(jobsOf(failing.requests)).toEqual(['job_full', 'job_full']);
      expect(await readdir(sendingDir(state))).toEqual([]);
    } finally {
      await first.close();
      await second.close();
      await failing.close();
    }
  });

  it('a claim another process made just now is not taken for abandoned by a host a day ahead of the file system', async () => {
    // The claim's age was this host's Date.now() minus a time the file system stamped: a host whose clock ran
    // more than ten minutes ahead of the file server (state/ shared) took every claim for abandoned and sent
    // the event again. Its clock is moved by a test stand-in (clockOffsetEnv); the disk stamps real times.
    const childDrained = deferred();
    const hook = await startReceiver((_, i) => ({
      status: 200,
      ...(i === 0 && { holdUntil: childDrained.promise }),
    }));
    try {
      const raw = { targets: [{ type: 'webhook', url: hook.url }] };
      const config = NotifyConfigSchema.parse(raw);
      const here = createNotifier({ stateDir: state, config, logger });
      await here.emit(jobEvent('job.succeeded', { jobId: 'job_skew' }));
      const sending = settledFlag(here.drain());
      await until(() => hook.requests.length > 0, 'the send of job_skew');
      expect(await readdir(sendingDir(state))).toHaveLength(1);

      const ahead = await execa(
        process.execPath,
        [...nodeScript(CHILD), JSON.stringify({ stateDir: state, config: raw })],
        { reject: false, all: true, env: clockOffsetEnv(86_400_000) },
      );
      expect(ahead.exitCode, String(ahead.all)).toBe(0);
      expect(sending.settled()).toBe(false); // the claim was held all along the other host's pass
      childDrained.resolve();
      await sending.promise;

      expect(jobsOf(hook.requests)).toEqual(['job_skew']);
      expect(await readdir(outboxDir(state))).toEqual([]);
      expect(await readdir(sendingDir(state))).toEqual([]);
    } finally {
      await hook.close();
    }
  });
  describe("a retry time written by a host whose clock is off the file system's", () => {
    // next_at was this host's Date.now() plus the wait, compared with the Date.now() of whichever host drains
    // next: with state/ shared, a retry written by a host a day behind was due at once everywhere else, and
    // one written by a host a day ahead waited a day. Retry times are now on the file system's clock.
    const failOnce = async (offsetMs: number, firstDelaySec: number) => {
      const hook = await startReceiver((_, i) => ({ status: i === 0 ? 503 : 200 }));
      const raw = { targets: [{ type: 'webhook', url: hook.url }], retry: { firstDelaySec } };
      const config = NotifyConfigSchema.parse(raw);
      await createNotifier({ stateDir: state, config, logger }).emit(
        jobEvent('job.succeeded', { jobId: 'job_retry' }),
      );
      const other = await execa(
        process.execPath,
        [...nodeScript(CHILD), JSON.stringify({ stateDir: state, config: raw })],
        { reject: false, all: true, env: clockOffsetEnv(offsetMs) },
      );
      expect(other.exitCode, String(other.all)).toBe(0);
      expect(hook.requests).toHaveLength(1); // refused: a retry written by the other host
      return { hook, here: createNotifier({ stateDir: state, config, logger }) };
    };

    it('by a host a day behind, waits its turn', async () => {
      const { hook, here } = await failOnce(-86_400_000, 60);
      try {
        await here.drain();
        expect(hook.requests).toHaveLength(1);
        expect(await readdir(outboxDir(state))).toHaveLength(1);
      } finally {
        await hook.close();
      }
    });

    it('by a host a day ahead, is sent once due, not a day later', async () => {
      const { hook, here } = await failOnce(86_400_000, 1);
      try {
        // Due a second after the other host's try, on the file system's clock.
        await until(() => hook.requests.length === 2, 'the retry', 15_000);
        expect(await readdir(outboxDir(state))).toEqual([]);
      } finally {
        await hook.close();
      }
      async function until(done: () => boolean, what: string, ms: number) {
        const end = Date.now() + ms;
        while (!done()) {
          if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
          await here.drain();
          await sleep(100);
        }
      }
    });
  });
});
