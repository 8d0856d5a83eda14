import { readFile, readdir, rm, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isImkError } from '@imk/errors';
import { publishTiny, sleep, tempRoot } from '../test/helpers.ts';
import { createQueue, findJob, publishBundle, retryFailed, type Claim, type Queue } from './index.ts';

let root: string;
let cleanup: () => Promise<void>;
let queueDir: string;
const queues: Queue[] = [];

function open(options: Partial<Parameters<typeof createQueue>[0]> = {}): Queue {
  const queue = createQueue({ queueDir, watch: false, ...options });
  queues.push(queue);
  return queue;
}

beforeEach(async () => {
  ({ root, cleanup } = await tempRoot());
  queueDir = join(root, 'queues', 'other');
});
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.close();
  await cleanup();
});

/**
 * Asks `queue` for a job every 20 ms until one is handed out (30 s at most). Says when each refusal's try
 * started and when the try that got the job ended, on this process's clock (the one the queue's delays and
 * leases are measured on), so that a test can tell "not yet" from "too late" whatever the machine's load.
 */
async function claimWhenHandedOut(
  queue: Queue,
): Promise<{ claim: Claim; refusedAt: number[]; gotAt: number }> {
  const refusedAt: number[] = [];
  const deadline = performance.now() + 30_000;
  for (;;) {
    const started = performance.now();
    const claim = await queue.claim();
    if (claim) return { claim, refusedAt, gotAt: performance.now() };
    refusedAt.push(started);
    if (started > deadline) throw new Error('no job was handed out within 30 s');
    await sleep(20);
  }
}

/**
 * Calls `observer.recoverExpired()` every 50 ms until it takes a claim back (30 s at most). Says when each
 * call that took nothing started and when the call that took it ended.
 */
async function recoverWhenExpired(observer: Queue): Promise<{ keptAt: number[]; recoveredAt: number }> {
  const keptAt: number[] = [];
  const deadline = performance.now() + 30_000;
  for (;;) {
    const started = performance.now();
    const recovered = await observer.recoverExpired();
    if (recovered > 0) {
      expect(recovered).toBe(1);
      return { keptAt, recoveredAt: performance.now() };
    }
    keptAt.push(started);
    if (started > deadline) throw new Error('no claim was taken back within 30 s');
    await sleep(50);
  }
}

// Delays and leases long enough that the first tries after them fall inside them also on a loaded machine;
// what each answer may be is judged by when it was asked, not by a sleep that a busy machine stretches.
const RETRY_DELAY_MS = 1000;
const LEASE_MS = 1000;

/** Publishes jobs with distinct, increasing folder mtimes (publish times). */
async function publishInOrder(jobs: [string, number | undefined][]): Promise<void> {
  const base = Date.now() / 1000 - 1000;
  for (const [index, [id, priority]] of jobs.entries()) {
    const dir = await publishTiny(queueDir, id, priority === undefined ? {} : { options: { priority } });
    await utimes(dir, base + index, base + index);
  }
}

describe('claim order', () => {
  it('takes higher priority first, then FIFO by publish time', async () => {
    await publishInOrder([
      ['a', undefined],
      ['b', 5],
      ['c', undefined],
      ['d', 5],
      ['e', -1],
      ['f', 10],
    ]);
    const queue = open();
    const order: string[] = [];
    for (let claim = await queue.claim(); claim; claim = await queue.claim()) {
      order.push(claim.jobId);
      await claim.complete();
    }
    expect(order).toEqual(['f', 'b', 'd', 'a', 'c', 'e']);
    expect(await queue.counts()).toMatchObject({ ready: 0, claimed: 0, succeeded: 6 });
  });

  it('sees a job published after its listing, FIFO within a priority', async () => {
    const queue = open({ pollMs: 10 });
    expect(await queue.claim()).toBeUndefined();
    await publishInOrder([
      ['x1', undefined],
      ['x2', undefined],
    ]);
    await sleep(20);
    const first = await queue.claim();
    expect(first?.jobId).toBe('x1');
    await first?.complete();
  });
});

describe('settling a claim', () => {
  it('completes into succeeded/ with a result file', async () => {
    await publishTiny(queueDir, 'ok1');
    const queue = open({ consumerId: 'worker-1' });
    const claim = await queue.claim();
    expect(claim?.attempt).toBe(1);
    expect(claim?.job.title).toBe('ok1');
    expect(await readFile(join(claim!.dir, 'audio.m4a'), 'utf8')).toBe('audio of ok1');
    expect(await queue.counts()).toMatchObject({ ready: 0, claimed: 1 });
    await claim!.complete({ outputs: 'outputs/ok1' });
    const found = await findJob(queueDir, 'ok1');
    expect(found?.state).toBe('succeeded');
    const result = JSON.parse(await readFile(join(found!.dir, 'imk-result.json'), 'utf8'));
    expect(result).toMatchObject({
      status: 'succeeded',
      consumer: 'worker-1',
      attempt: 1,
      info: { outputs: 'outputs/ok1' },
    });
    await expect(claim!.complete()).rejects.toThrow(/already/);
  });

  it('retries a retryable failure with attempt + 1, then archives it as failed after maxAttempts', async () => {
    await publishTiny(queueDir, 'flaky');
    const queue = open({ maxAttempts: 2 });
    const first = await queue.claim();
    expect(await first!.fail({ stage: 'decode', message: 'ffmpeg crashed', retryable: true })).toBe('retry');
    expect((await findJob(queueDir, 'flaky'))?.state).toBe('ready');
    const second = await queue.claim();
    expect(second?.attempt).toBe(2);
    expect(await second!.fail({ stage: 'decode', message: 'ffmpeg crashed again', retryable: true })).toBe(
      'failed',
    );
    const found = await findJob(queueDir, 'flaky');
    expect(found).toMatchObject({ state: 'failed', attempts: 2 });
    const error = JSON.parse(await readFile(join(found!.dir, 'imk-error.json'), 'utf8'));
    expect(error).toMatchObject({ stage: 'decode', message: 'ffmpeg crashed again', attempt: 2 });
    expect(typeof error.consumer).toBe('string');
    expect(typeof error.time).toBe('string');

    // imk retry: back to ready, attempts start again
    await retryFailed(queueDir, 'flaky');
    const third = await queue.claim();
    expect(third?.attempt).toBe(1);
    await third!.complete();
    expect(await readdir(join(queueDir, 'failed'))).toEqual([]);
  });

  it('does not hand out a retry before its delay', async () => {
    await publishTiny(queueDir, 'later');
    const queue = open({ pollMs: 20 });
    const claim = await queue.claim();
    const failing = performance.now();
    await claim!.fail({ stage: 'download', message: 'busy', retryable: true, retryDelayMs: RETRY_DELAY_MS });
    const failed = performance.now();
    const { claim: retry, refusedAt, gotAt } = await claimWhenHandedOut(queue);
    // Refused while the delay ran (the first try comes at once), handed out once it was over: never before
    // it (the delay starts within fail()), nor refused to a try that began after it.
    expect(refusedAt.length).toBeGreaterThan(0);
    expect(gotAt - failing).toBeGreaterThanOrEqual(RETRY_DELAY_MS);
    for (const at of refusedAt) expect(at - failed).toBeLessThan(RETRY_DELAY_MS);
    expect(retry.attempt).toBe(2);
  });

  it('another consumer also waits out the retry delay, and the job keeps its attempt count', async () => {
    await publishTiny(queueDir, 'delayed');
    const failing = open({ pollMs: 20, consumerId: 'failing' });
    const other = open({ pollMs: 20, consumerId: 'other' });
    const first = await failing.claim();
    await first!.fail({
      stage: 'download',
      message: 'rate limited',
      retryable: true,
      retryDelayMs: RETRY_DELAY_MS,
    });
    // "other" only learns of the delay by claiming: it gives the job back untouched.
    const learning = performance.now();
    expect(await other.claim()).toBeUndefined();
    const learnt = performance.now();
    expect(await findJob(queueDir, 'delayed')).toMatchObject({ state: 'ready', attempts: 1 });
    // From then on it waits the delay out on its own clock: refused again, handed out once it is over.
    const { claim: retry, refusedAt, gotAt } = await claimWhenHandedOut(other);
    expect(refusedAt.length).toBeGreaterThan(0);
    expect(gotAt - learning).toBeGreaterThanOrEqual(RETRY_DELAY_MS);
    for (const at of refusedAt) expect(at - learnt).toBeLessThan(RETRY_DELAY_MS);
    expect(retry).toMatchObject({ jobId: 'delayed', attempt: 2 });
    await retry.complete();
  });

  it('a second wait of a job, begun after the first was over, is not looked at before its own delay', async () => {
    await publishTiny(queueDir, 'twice');
    const queue = open({ pollMs: 20, consumerId: 'looking' });
    const other = open({ pollMs: 20, consumerId: 'other' });
    const first = await queue.claim();
    await first!.release({ delayMs: RETRY_DELAY_MS, waitingFor: 'BUSY' });
    // The other consumer learns of the first wait's first look (and gives the job back untouched).
    expect(await other.claim()).toBeUndefined();
    const otherLearntFirst = performance.now();
    const { claim: looking } = await claimWhenHandedOut(queue);
    expect(looking.waiting?.looks).toBe(1);
    // The first wait over for the other consumer too: its delay, counted from its own first sight (before
    // `otherLearntFirst`), has run out. On a loaded machine `queue`'s delay (counted from the release) ran out
    // tens of ms sooner, and the other consumer, still inside the first wait by its clock, did not look at
    // the job at its next claim: it learnt of the second wait a poll later than the test's `learnt` mark.
    const firstWaitOver = otherLearntFirst + RETRY_DELAY_MS;
    while (performance.now() < firstWaitOver) await sleep(firstWaitOver - performance.now());
    // The look found it done and the job ran; then it found it busy again: a wait of its own.
    looking.waitOver();
    expect(looking.waiting).toBeUndefined();
    const releasing = performance.now();
    await looking.release({ delayMs: RETRY_DELAY_MS, waitingFor: 'BUSY' });
    // Before, the second wait's first release looked like the first's to the other consumer (same attempts,
    // same looks): it counted the delay from the first wait's and took the job again at once.
    const learning = performance.now();
    expect(await other.claim()).toBeUndefined();
    const learnt = performance.now();
    const { claim: again, refusedAt, gotAt } = await claimWhenHandedOut(other);
    expect(gotAt - releasing).toBeGreaterThanOrEqual(RETRY_DELAY_MS);
    expect(gotAt - learning).toBeGreaterThanOrEqual(RETRY_DELAY_MS);
    // Refused only while its own delay ran: that delay starts when the other consumer first sees the release,
    // in the claim just made (the first wait being over for it, it looked at the job).
    for (const at of refusedAt) expect(at - learnt).toBeLessThan(RETRY_DELAY_MS);
    expect(again.waiting?.looks).toBe(1);
    await again.complete();
  });

  it('release keeps the attempt and the place in line', async () => {
    await publishInOrder([
      ['first', undefined],
      ['second', undefined],
    ]);
    const queue = open({ pollMs: 5 });
    const claim = await queue.claim();
    expect(claim?.jobId).toBe('first');
    await claim!.release();
    await sleep(10);
    const again = await queue.claim();
    expect(again).toMatchObject({ jobId: 'first', attempt: 1 });
  });

  it('refuses to publish an id that exists in any state', async () => {
    await publishTiny(queueDir, 'dup');
    const queue = open();
    const claim = await queue.claim();
    await expect(publishTiny(queueDir, 'dup')).rejects.toSatisfy((e) => isImkError(e, 'JOB_EXISTS'));
    await claim!.complete();
    await expect(publishTiny(queueDir, 'dup')).rejects.toSatisfy((e) => isImkError(e, 'JOB_EXISTS'));
  });
});

describe('leases within one process', () => {
  it('returns an unheartbeated claim to ready after the lease, and the old holder finds out', async () => {
    await publishTiny(queueDir, 'orphan');
    const holder = open({ consumerId: 'holder', leaseMs: LEASE_MS, maintenance: false });
    const claim = await holder.claim();
    await holder.close(); // stops its heartbeats: like a frozen process
    const observer = open({ consumerId: 'observer', leaseMs: LEASE_MS, maintenance: false });
    // The observer's first sight of the claim: the lease runs from here, on its clock.
    const seeing = performance.now();
    expect(await observer.recoverExpired()).toBe(0);
    const seen = performance.now();
    const { keptAt, recoveredAt } = await recoverWhenExpired(observer);
    // Kept while the lease ran (the next look comes at once), taken back once it was over: never before,
    // nor kept by a look that began after it.
    expect(keptAt.length).toBeGreaterThan(0);
    expect(recoveredAt - seeing).toBeGreaterThanOrEqual(LEASE_MS);
    for (const at of keptAt) expect(at - seen).toBeLessThan(LEASE_MS);
    const again = await observer.claim();
    expect(again).toMatchObject({ jobId: 'orphan', attempt: 2 });
    await expect(claim!.complete()).rejects.toSatisfy((e) => isImkError(e, 'CLAIM_LOST'));
    await again!.complete();
    expect((await findJob(queueDir, 'orphan'))?.state).toBe('succeeded');
  });

  it('confirm() answers from disk: a holder that has not heartbeaten since its claim was taken learns it at once', async () => {
    await publishTiny(queueDir, 'paused');
    // Heartbeats far apart: like a process stopped (SIGSTOP) past the lease, that has just resumed.
    const holder = open({ consumerId: 'holder', leaseMs: 200, heartbeatMs: 150, maintenance: false });
    const claim = await holder.claim();
    expect(await claim!.confirm()).toBe(true);
    await holder.close();
    const observer = open({ consumerId: 'observer', leaseMs: 100, maintenance: false });
    await observer.recoverExpired();
    await sleep(150);
    expect(await observer.recoverExpired()).toBe(1);
    expect(claim!.isLost()).toBe(false); // no heartbeat ran since
    expect(await claim!.confirm()).toBe(false);
    expect(claim!.isLost()).toBe(true);
    expect((await findJob(queueDir, 'paused'))?.state).toBe('ready');
  });

  it('keeps a heartbeating claim for as long as a silent one takes to expire', async () => {
    // The lease is long next to a heartbeat (5 s, 50 ms): holder and observer share this process, so a
    // stall of it (a loaded machine, a GC pause) stops both, and on resuming the observer may look before
    // the holder's overdue beat is written. A 1 s lease lost the claim to a 1.6 s stall; this one takes
    // stalls of several seconds. The watch is as long as a silent claim needs to expire, on the observer's
    // own clock: it ends when the silent one, taken at the same time, is taken back.
    const lease = 5 * LEASE_MS;
    await publishTiny(queueDir, 'alive');
    await publishTiny(queueDir, 'silent');
    const holder = open({ consumerId: 'holder', leaseMs: lease, heartbeatMs: 50, maintenance: false });
    const claim = await holder.claim();
    expect(claim?.jobId).toBe('alive');
    const gone = open({ consumerId: 'gone', leaseMs: lease, maintenance: false });
    expect((await gone.claim())?.jobId).toBe('silent');
    await gone.close(); // no heartbeats from here on
    const observer = open({ consumerId: 'observer', leaseMs: lease, maintenance: false });
    // At least 8 looks, however few a stalled machine fits in the lease.
    let looks = 0;
    while ((await findJob(queueDir, 'silent'))?.state !== 'ready' || looks < 8) {
      expect(await observer.recoverExpired()).toBeLessThanOrEqual(1);
      expect((await findJob(queueDir, 'alive'))?.state).toBe('claimed');
      looks++;
      await sleep(50);
    }
    expect(claim!.isLost()).toBe(false);
    expect(await claim!.confirm()).toBe(true);
    await claim!.complete();
  });
});

describe('publishBundle validation', () => {
  it('rejects an invalid job before touching the queue', async () => {
    await expect(
      publishBundle({ queueDir, job: { job_id: 'x', source_type: 'local' }, files: [] }),
    ).rejects.toSatisfy((e) => isImkError(e, 'INVALID_JOB') && /audio_path/.test((e as Error).message));
  });
});

// An archive folder is made when a job is archived into it, every time: removed by an operator between two
// jobs (an emptied failed/), it is made again for the next, by this queue or another in the same process.
// (It was remembered once per process in a module-level set; each archive now makes sure itself.)
describe('archive folders', () => {
  it('makes failed/ again for the next failed job after it was removed', async () => {
    const queue = open();
    for (const id of ['gone1', 'gone2']) {
      await publishTiny(queueDir, id);
      const claim = await queue.claim();
      expect(claim?.jobId).toBe(id);
      expect(await claim!.fail({ stage: 'decode', message: 'bad file' })).toBe('failed');
      expect(await readdir(join(queueDir, 'failed'))).toEqual([`job_${id}`]);
      await rm(join(queueDir, 'failed'), { recursive: true });
    }
    // A second queue over the same folder, in the same process, archives as well.
    await publishTiny(queueDir, 'gone3');
    const other = open();
    const claim = await other.claim();
    expect(await claim!.fail({ stage: 'decode', message: 'bad file' })).toBe('failed');
    expect(await readdir(join(queueDir, 'failed'))).toEqual(['job_gone3']);
  });
});
