import type { Claim, ReleaseOptions } from '@imk/fsqueue';
import type { WorkerContext } from './context.ts';
import { waitingCode, waitsFor } from './errors.ts';

// A job given back to wait for something outside it (OUTPUTS_BEING_WRITTEN): whether it waits or gives up,
// and what the log and its history say of the wait.

/** What settleFailure does with a failure whose code waits. */
export interface WaitDecision {
  /** Give the job back with these options (it waits), rather than fail it. */
  release?: ReleaseOptions;
  /** What the log and the ledger say of the wait. */
  said?: string;
  /** The job's history line: "waiting for <what> since …, gives up at …; looked N times, …". */
  history?: string;
  /** Whether this is the first look of this wait (said as a warning; later looks as information). */
  first?: boolean;
  /**
   * How long the job has waited at the least, for the log (`waited_at_least_ms`): the looks before this one
   * times retry.waitCheckMs, each look coming at least that long after the one before on the looking host's
   * own clock. Never `now − since` (a since another host wrote, its clock a day off, said "86400000 ms").
   */
  waitedAtLeastMs?: number;
  /** Looks of this wait so far, this one included (`looks` in the log). */
  looks?: number;
  /** The wait was given up: words added to the failure's message. */
  gaveUp?: string;
}

/**
 * Whether a failure makes the job wait (its code's policy says so, WorkerErrorPolicy.waits) and for how
 * long: the claim's recorded wait (imk-state.json, kept across claims and hosts) of the same code goes on.
 * All the waits of one attempt together get at most waitLookBudget looks (a job whose folder goes busy,
 * free, busy again), counted in imk-state.json (`wait_looks`): past them the job fails instead. That count
 * is the only bound, of one wait as of several: a wait's `since` was written by whichever host first gave
 * the job back, perhaps with a clock hours off this one's, and is said to people, never compared with this
 * host's clock (a host whose clock ran a day behind the one that began the wait failed it at its first look).
 */
export function waitFor(ctx: WorkerContext, claim: Claim, error: unknown): WaitDecision {
  const code = waitingCode(error);
  if (code === undefined) return {};
  const { maxWaitMs, waitCheckMs } = ctx.config.retry;
  const first = claim.waiting?.for !== code;
  const now = Date.now();
  // Said to people only (when the wait began, by the clock of the host that began it).
  const since = first ? now : claim.waiting.since.getTime();
  const looks = (first ? 0 : claim.waiting.looks) + 1;
  // Every wait of this attempt, this look included: a job whose folder goes busy, free (it runs), busy
  // again begins a new wait each time, and would wait without end if each were bounded afresh.
  const attemptLooks = claim.waitLooks + 1;
  const budget = waitLookBudget(maxWaitMs, waitCheckMs);
  if (attemptLooks > budget)
    return {
      gaveUp:
        looks === attemptLooks
          ? `(waited at least ${duration((looks - 1) * waitCheckMs, Math.floor)} for it: looked ${looks} times, each at least retry.waitCheckMs (${duration(waitCheckMs)}) after the last, the longest retry.maxWaitMs (${duration(maxWaitMs)}) in config/instrumental-maker.yaml allows; not waiting longer)`
          : `(looked ${attemptLooks} times in this attempt's waits, each at least retry.waitCheckMs (${duration(waitCheckMs)}) after the last: the most retry.maxWaitMs (${duration(maxWaitMs)}) in config/instrumental-maker.yaml allows, counted over all its waits, as the folder went busy again after the job ran; not waiting longer)`,
    };
  // When it gives up, by this host's clock: at the last look the attempt's waits have left (each at least
  // retry.waitCheckMs after the one before).
  const givesUp = now + (budget - attemptLooks + 1) * waitCheckMs;
  return {
    release: { delayMs: waitCheckMs, waitingFor: code },
    said: first
      ? `job ${claim.jobId} waits (${code}): waiting for ${waitsFor(code, claim.jobId) ?? code} since ${clock(since)}, gives up at ${clock(givesUp)} (retry.maxWaitMs); looking again every ${duration(waitCheckMs)} (retry.waitCheckMs), no attempt spent; each look is logged at debug, the end of the wait at info`
      : `job ${claim.jobId} waits (${code}, look ${attemptLooks} of at most ${budget} in this attempt's waits, retry.maxWaitMs / retry.waitCheckMs + 1); looking again in ${duration(waitCheckMs)}, no attempt spent`,
    history: `waiting for ${waitsFor(code, claim.jobId) ?? code} since ${clock(since)}, gives up at ${clock(givesUp)} (retry.maxWaitMs); looked ${looks} time${looks === 1 ? '' : 's'}, the last at ${clock(now)}, the next at ${clock(now + waitCheckMs)} (retry.waitCheckMs); ${attemptLooks} of at most ${budget} looks in this attempt's waits, no attempt spent`,
    first,
    waitedAtLeastMs: (looks - 1) * waitCheckMs,
    looks,
  };
}

/**
 * The most looks all the waits of one attempt take together: one, then one every retry.waitCheckMs for
 * retry.maxWaitMs. Counted (imk-state.json `wait_looks`), not timed: no host compares times another wrote,
 * and each look comes at least waitCheckMs after the one before on the looking host's own clock, so the
 * attempt has waited at least retry.maxWaitMs by its last look.
 */
export function waitLookBudget(maxWaitMs: number, waitCheckMs: number): number {
  return Math.floor(maxWaitMs / Math.max(1, waitCheckMs)) + 1;
}

/**
 * How long the wait a claim found (Claim.waiting) has lasted at the least, for the log
 * (`waited_at_least_ms`): its looks so far times retry.waitCheckMs, each look at least that long after the
 * one before on the looking host's own clock. Its `since` was written by the host that began the wait,
 * whose clock may be a day off this one's: never subtracted from this host's clock.
 */
export function waitedAtLeastMs(claim: Claim, waitCheckMs: number): number {
  return claim.waiting === undefined ? 0 : claim.waiting.looks * waitCheckMs;
}

/** What the log says when a look finds the folder the job waited for done: the wait's end, once. */
export function waitEnded(claim: Claim, waitCheckMs: number): string {
  const { waiting, jobId } = claim;
  if (waiting === undefined) return 'job started';
  const what = waitsFor(waiting.for, jobId) ?? waiting.for;
  const looks = waiting.looks + 1;
  return `job ${jobId} started: the wait for ${what} since ${clock(waiting.since.getTime())} is over (waited at least ${duration(waitedAtLeastMs(claim, waitCheckMs), Math.floor)}: ${looks} looks, each at least retry.waitCheckMs (${duration(waitCheckMs)}) after the last)`;
}

/** A time for people, to the second, in UTC as every other time of the ledger: `2026-12-05 15:20:01 UTC`. */
function clock(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/**
 * A wait's length for people: milliseconds under a second, seconds up to two minutes, then minutes; rounded
 * down (Math.floor) where it says "at least".
 */
function duration(ms: number, round: (n: number) => number = Math.round): string {
  if (ms < 1000) return `${round(ms)} ms`;
  return ms < 120_000 ? `${round(ms / 1000)} s` : `${round(ms / 60_000)} min`;
}
