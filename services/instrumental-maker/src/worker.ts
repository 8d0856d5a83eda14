import type { Claim, Queue } from '@imk/fsqueue';
import { errorMessage } from '@imk/errors';
import type { WorkerContext } from './context.ts';
import { processClaim, type JobOutcome } from './process-job.ts';
import { createQueueOrder } from './queue-order.ts';

export interface WorkerQueue {
  name: string;
  weight: number;
  queue: Queue;
}

export interface WorkerLoopOptions {
  ctx: WorkerContext;
  queues: WorkerQueue[];
  concurrency: number;
  /** Aborting stops claiming; running jobs get `gracePeriodMs` to finish, then are released. */
  signal: AbortSignal;
  /** Return once every queue has no ready and no claimed job (instead of waiting for more). */
  once: boolean;
  gracePeriodMs: number;
  /** Asked before every claim (free disk space). */
  mayClaim?: () => boolean;
  onOutcome?: (outcome: JobOutcome) => void;
}

const IDLE_RECHECK_MS = 5000;

/**
 * The worker loop: keeps up to `concurrency` jobs running, claiming from the queues in weighted order,
 * and sleeps on the queues' work hints (a periodic listing is the truth; the watcher only a hint).
 * One job's failure never stops it; only the signal does.
 */
export async function runWorkerLoop(options: WorkerLoopOptions): Promise<JobOutcome[]> {
  const { ctx, queues, signal } = options;
  const order = createQueueOrder(queues);
  const outcomes: JobOutcome[] = [];
  const active = new Set<Promise<void>>();
  const jobsAbort = new AbortController();
  let graceTimer: NodeJS.Timeout | undefined;
  const onStop = () => {
    if (active.size === 0) return;
    ctx.logger.info(
      { running: active.size, grace_ms: options.gracePeriodMs },
      'stopping: no new claims; running jobs may finish',
    );
    graceTimer = setTimeout(() => {
      ctx.logger.warn({ running: active.size }, 'grace period over: releasing running jobs');
      jobsAbort.abort(new Error('shutdown grace period over'));
    }, options.gracePeriodMs);
  };
  signal.addEventListener('abort', onStop, { once: true });
  let finished: () => void = () => undefined;
  let ended = false;

  const start = (claim: Claim) => {
    const run = processClaim(ctx, claim, jobsAbort.signal, signal)
      .then((outcome) => {
        outcomes.push(outcome);
        options.onOutcome?.(outcome);
      })
      .catch((error: unknown) =>
        ctx.logger.error({ job_id: claim.jobId, err: errorMessage(error) }, 'job handling failed'),
      )
      .finally(() => {
        active.delete(run);
        ended = true;
        finished();
      });
    active.add(run);
  };

  const claimNext = async (): Promise<Claim | undefined> => {
    for (const { queue, name } of order.next()) {
      try {
        const claim = await queue.claim();
        if (claim) return claim;
      } catch (error) {
        ctx.logger.error({ queue: name, err: errorMessage(error) }, 'claiming failed; trying again later');
      }
    }
    return undefined;
  };

  const queuesEmpty = async (): Promise<boolean> => {
    for (const { queue } of queues) {
      const counts = await queue.counts();
      if (counts.ready + counts.claimed > 0) return false;
    }
    return true;
  };

  try {
    while (!signal.aborted) {
      ended = false;
      let claimedAny = false;
      while (active.size < options.concurrency && !signal.aborted && (options.mayClaim?.() ?? true)) {
        const claim = await claimNext();
        if (!claim) break;
        if (signal.aborted) {
          await claim.release().catch(() => undefined);
          break;
        }
        claimedAny = true;
        start(claim);
      }
      if (signal.aborted) break;
      if (options.once && active.size === 0 && !claimedAny && (await queuesEmpty())) break;
      // A job that ended while we were claiming frees a slot: look again before sleeping.
      if (ended) continue;
      await waitForSomething(queues, active.size, options.concurrency, signal, (wake) => (finished = wake));
    }
    await Promise.all([...active]);
  } finally {
    clearTimeout(graceTimer);
    signal.removeEventListener('abort', onStop);
  }
  return outcomes;
}

/** Sleeps until a job finishes, a queue hints at work (when a slot is free), the signal aborts, or a while passes. */
async function waitForSomething(
  queues: WorkerQueue[],
  running: number,
  concurrency: number,
  signal: AbortSignal,
  onFinished: (wake: () => void) => void,
): Promise<void> {
  const round = new AbortController();
  const stop = () => round.abort();
  signal.addEventListener('abort', stop, { once: true });
  const timer = setTimeout(stop, IDLE_RECHECK_MS);
  try {
    const waits: Promise<void>[] = [
      new Promise<void>((resolve) => round.signal.addEventListener('abort', () => resolve(), { once: true })),
    ];
    if (running > 0) waits.push(new Promise<void>((resolve) => onFinished(resolve)));
    if (running < concurrency) for (const { queue } of queues) waits.push(queue.waitForWork(round.signal));
    await Promise.race(waits);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', stop);
    round.abort();
  }
}
