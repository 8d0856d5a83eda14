import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isImkError } from '@imk/errors';
import { publishTiny, sleep, tempRoot } from '../test/helpers.ts';
import {
  CANCEL_REASON_MAX,
  LEASE_FILE,
  cancelJob,
  createQueue,
  findJob,
  retryFailed,
  waitForCancel,
  type Queue,
} from './index.ts';

let cleanup: () => Promise<void>;
let queueDir: string;
const queues: Queue[] = [];

function open(options: Partial<Parameters<typeof createQueue>[0]> = {}): Queue {
  const queue = createQueue({ queueDir, watch: false, pollMs: 20, ...options });
  queues.push(queue);
  return queue;
}

beforeEach(async () => {
  const temp = await tempRoot();
  cleanup = temp.cleanup;
  queueDir = join(temp.root, 'queues', 'other');
});
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.close();
  vi.useRealTimers();
  await cleanup();
});

const readJson = async (file: string): Promise<Record<string, unknown>> =>
  JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return isImkError(error) ? `${error.code}: ${error.message}` : String(error);
  }
  return 'no error';
}

describe('cancelJob', () => {
  it('archives a ready job in cancelled/ with why, who and when; no worker ever claims it', async () => {
    await publishTiny(queueDir, 'oops');
    const [outcome, ...more] = await cancelJob(queueDir, 'oops', { reason: 'queued by mistake', by: 'test' });
    expect(more).toEqual([]);
    expect(outcome).toMatchObject({ state: 'cancelled', dir: join(queueDir, 'cancelled', 'job_oops') });
    const doc = await readJson(join(outcome!.dir, 'imk-cancel.json'));
    expect(doc).toMatchObject({ job_id: 'oops', status: 'cancelled', reason: 'queued by mistake' });
    expect(doc).toMatchObject({ requested_by: 'test', was: 'ready' });
    expect(Date.parse(String(doc.time))).toBeGreaterThan(Date.now() - 60_000);
    // The bundle is kept whole, and nothing else is left: no request file, no claim.
    expect((await readdir(outcome!.dir)).sort()).toEqual(['audio.m4a', 'imk-cancel.json', 'job.json']);
    expect(await readdir(join(queueDir, 'claimed'))).toEqual([]);
    expect(await open().claim()).toBeUndefined();
    expect(await open().counts()).toMatchObject({ ready: 0, claimed: 0, cancelled: 1 });
    expect(await findJob(queueDir, 'oops')).toMatchObject({ state: 'cancelled' });
  });

  it('asks the holder of a running job, which stops and archives it as cancelled', async () => {
    await publishTiny(queueDir, 'long');
    // Only the queue's interval timers are faked: the holder's checks then run at the product's own times
    // (its timer's), however late a loaded machine runs them, while files and sleeps stay real.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    // Heartbeats 30 s apart: the first one (which creates the lease file) comes long after the cancel check.
    const worker = open({ leaseMs: 60_000, heartbeatMs: 30_000 });
    const claim = (await worker.claim())!;
    const held = claim as unknown as { checkCancel(): Promise<boolean>; heartbeat(): Promise<void> };
    const checks = vi.spyOn(held, 'checkCancel');
    const beats = vi.spyOn(held, 'heartbeat');
    expect(claim.cancelRequested()).toBe(false);
    const [outcome] = await cancelJob(queueDir, 'long', { reason: 'wrong song', by: 'test' });
    expect(outcome).toMatchObject({ state: 'requested', dir: claim.dir });
    // The holder looks about every second (docs/protocol.md): not yet at 999 ms, at 1 s...
    await vi.advanceTimersByTimeAsync(999);
    expect(checks).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(checks).toHaveBeenCalledTimes(1);
    // ...and that first check notices the request; no heartbeat has run (no lease file), so only the
    // cancel check can have seen it.
    await checks.mock.results[0]!.value;
    expect(claim.cancelRequested()).toBe(true);
    expect(beats).not.toHaveBeenCalled();
    expect(await readdir(claim.dir)).not.toContain(LEASE_FILE);
    // Before it makes anything visible, the holder is told not to.
    expect(await claim.confirm()).toBe(false);
    const waited = waitForCancel(queueDir, claim.dir, 5000, 20);
    await claim.cancel('separate');
    const where = await waited;
    expect(where).toEqual({ state: 'cancelled', dir: join(queueDir, 'cancelled', 'job_long') });
    const doc = await readJson(join(where.dir, 'imk-cancel.json'));
    expect(doc).toMatchObject({ reason: 'wrong song', was: 'running', stage: 'separate', attempt: 1 });
    expect(await readdir(where.dir)).not.toContain('imk-cancel-request.json');
    expect(await readdir(join(queueDir, 'claimed'))).toEqual([]);
  });

  it('a request left in a released job is honoured when it is next claimed', async () => {
    await publishTiny(queueDir, 'late');
    const worker = open();
    const claim = (await worker.claim())!;
    await cancelJob(queueDir, 'late', { reason: 'stop it' });
    await claim.release(); // a shutdown released it before the holder noticed the request
    expect(await worker.claim()).toBeUndefined();
    expect(await findJob(queueDir, 'late')).toMatchObject({ state: 'cancelled' });
  });

  it('a request to a holder that died is honoured by the observer of its expired lease', async () => {
    await publishTiny(queueDir, 'orphan');
    const dead = open({ leaseMs: 200, maintenance: false, consumerId: 'dead' });
    const claim = (await dead.claim())!;
    await dead.close(); // no more heartbeats
    await cancelJob(queueDir, 'orphan', { reason: 'holder gone' });
    const observer = open({ leaseMs: 200, consumerId: 'observer' });
    await observer.recoverExpired();
    await sleep(300);
    expect(await observer.recoverExpired()).toBe(1);
    expect(await findJob(queueDir, 'orphan')).toMatchObject({ state: 'cancelled' });
    expect(claim.isLost()).toBe(false); // it never beat again: it learns at its next move
    expect(await readJson(join(queueDir, 'cancelled', 'job_orphan', 'imk-cancel.json'))).toMatchObject({
      reason: 'holder gone',
      was: 'running',
      consumer: 'observer',
    });
  });

  it('refuses finished, failed, cancelled, half-published and unknown jobs, naming the job', async () => {
    await publishTiny(queueDir, 'done');
    await publishTiny(queueDir, 'broken');
    const worker = open();
    await (await worker.claim())!.complete();
    await (await worker.claim())!.fail({ stage: 'decode', message: 'not audio' });
    expect(await codeOf(cancelJob(queueDir, 'done'))).toMatch(
      /^JOB_NOT_CANCELLABLE: job done has succeeded already \(.*succeeded\/job_done\)/,
    );
    expect(await codeOf(cancelJob(queueDir, 'broken'))).toMatch(
      /^JOB_NOT_CANCELLABLE: job broken has failed/,
    );
    expect(await codeOf(cancelJob(queueDir, 'nope'))).toBe(`JOB_NOT_FOUND: no job nope in ${queueDir}`);
    // An invalid bundle, archived by the claimer ("has rejected already" was said of it before).
    await mkdir(join(queueDir, 'rejected', 'job_refused'), { recursive: true });
    expect(await codeOf(cancelJob(queueDir, 'refused'))).toMatch(
      /^JOB_NOT_CANCELLABLE: job refused was rejected already \(.*rejected\/job_refused\)/,
    );
    await mkdir(join(queueDir, 'job_coming.tmp'));
    expect(await codeOf(cancelJob(queueDir, 'coming'))).toMatch(
      /^JOB_NOT_CANCELLABLE: job coming is still being published .*; cancel it once it is ready/,
    );
    await publishTiny(queueDir, 'twice');
    await cancelJob(queueDir, 'twice');
    expect(await codeOf(cancelJob(queueDir, 'twice'))).toMatch(/job twice was cancelled already/);
  });

  // `imk cancel --reason` (and the dashboard's form) kept a line break or a terminal escape as given: `imk job`
  // printed it raw, so a reason could forge a history line ("FAKE: succeeded") or recolour the terminal; and
  // the command line took a reason of any length.
  it('keeps a reason as one line of text, and refuses one too long before anything is cancelled', async () => {
    await publishTiny(queueDir, 'liner');
    await cancelJob(queueDir, 'liner', {
      reason: 'wrong\n2026-01-01 succeeded\u001b[31m red\ttab\u0085 ok  ',
    });
    expect(await readJson(join(queueDir, 'cancelled', 'job_liner', 'imk-cancel.json'))).toMatchObject({
      reason: 'wrong 2026-01-01 succeeded [31m red tab ok',
    });
    await publishTiny(queueDir, 'long');
    expect(await codeOf(cancelJob(queueDir, 'long', { reason: 'x'.repeat(CANCEL_REASON_MAX + 1) }))).toBe(
      `INVALID_CANCEL_REASON: the cancel reason is ${CANCEL_REASON_MAX + 1} characters long; give one of at most ${CANCEL_REASON_MAX} (nothing was cancelled)`,
    );
    expect(await findJob(queueDir, 'long')).toMatchObject({ state: 'ready' });
    // At the limit, in characters (an emoji is one), it is kept whole.
    const emoji = '🎵'.repeat(CANCEL_REASON_MAX);
    await cancelJob(queueDir, 'long', { reason: emoji });
    expect(await readJson(join(queueDir, 'cancelled', 'job_long', 'imk-cancel.json'))).toMatchObject({
      reason: emoji,
    });
  });

  it('imk retry brings a cancelled job back with a fresh attempt count, the reason kept', async () => {
    await publishTiny(queueDir, 'again');
    await cancelJob(queueDir, 'again', { reason: 'not now' });
    const entry = await retryFailed(queueDir, 'again');
    expect(entry).toMatchObject({ state: 'ready', attempts: 0 });
    const files = await readdir(entry.dir);
    expect(files).toContain('imk-cancel.previous.json');
    expect(files).not.toContain('imk-cancel.json');
    const claim = (await open().claim())!;
    expect(claim.attempt).toBe(1);
    await claim.complete();
    expect(await findJob(queueDir, 'again')).toMatchObject({ state: 'succeeded' });
  });
});
