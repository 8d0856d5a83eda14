import { rm, utimes } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ImkError, isAbsentErrno } from '@imk/errors';
import { fsyncDir, pathExists } from '@imk/fs-safe';
import type { Job } from '@imk/protocol';
import { delayKey, writeBundleState, type BundleState, type BundleWait } from './bundle-state.ts';
import type { QueueContext } from './context.ts';
import { archiveCancelled, readCancelRequest, type CancelRequest } from './cancel-archive.ts';
import { beatLease } from './lease.ts';
import { archiveFolder, claimLost, moveOwned, tokenIn, writeControlFile, writeJsonSynced } from './moves.ts';
import {
  CANCEL_REQUEST_FILE,
  ERROR_FILE,
  FAILED_DIR,
  LEASE_FILE,
  RESULT_FILE,
  STATE_FILE,
  SUCCEEDED_DIR,
  readyName,
} from './names.ts';
import { rejectFolder } from './rejected.ts';
import type { Claim, ClaimWait, FailInfo, RejectProblem, ReleaseOptions } from './types.ts';
import './errors.ts';

const isGone = isAbsentErrno;

/** Moves a held folder back to ready as `job_<id>` with the given state. False when lost. */
export async function returnToReady(
  ctx: QueueContext,
  dir: string,
  jobId: string,
  state: BundleState,
): Promise<boolean> {
  try {
    await writeBundleState(dir, state);
    await rm(join(dir, LEASE_FILE), { force: true });
  } catch (error) {
    if (isGone(error)) return false;
    throw error;
  }
  const token = state.token;
  const moved = await moveOwned(
    dir,
    join(ctx.queueDir, readyName(jobId)),
    async (to) => (await tokenIn(join(to, STATE_FILE))) === token,
  );
  if (moved) await fsyncDir(ctx.queueDir);
  return moved;
}

/**
 * Moves a held folder back to ready with `state`, then restores the folder's mtime (writing imk-state.json
 * bumped it) so that the job keeps its place in line. Returns the ready folder, or undefined when lost.
 */
export async function giveBack(
  ctx: QueueContext,
  dir: string,
  jobId: string,
  state: BundleState,
  publishedMs: number,
): Promise<string | undefined> {
  if (!(await returnToReady(ctx, dir, jobId, state))) return undefined;
  const target = join(ctx.queueDir, readyName(jobId));
  const when = new Date(publishedMs);
  // Best effort: someone may have claimed it already, which is fine.
  await utimes(target, when, when).catch(() => undefined);
  return target;
}

export interface HeldClaimInit {
  jobId: string;
  job: Job;
  dir: string;
  token: string;
  attempt: number;
  /** The ready folder's mtime when claimed, restored on release so the job keeps its place in line. */
  publishedMs: number;
  /** The wait recorded by the claim before this one (imk-state.json `waiting`), if any. */
  waiting?: BundleWait | undefined;
  /** Looks of this attempt's waits so far (imk-state.json `wait_looks`). */
  waitLooks?: number | undefined;
}

/** A claim this process holds: heartbeats its lease and settles it exactly once. */
export class HeldClaim implements Claim {
  readonly jobId: string;
  readonly queue: string;
  readonly job: Job;
  readonly dir: string;
  readonly attempt: number;
  readonly token: string;
  private wait: ClaimWait | undefined;
  readonly waitLooks: number;
  private readonly publishedMs: number;
  private counter = 0;
  private lost = false;
  private cancelAsked = false;
  private cancelRequest: CancelRequest | undefined;
  private settling = false;
  private settled = false;

  constructor(
    private readonly ctx: QueueContext,
    init: HeldClaimInit,
    private readonly onSettled: (claim: HeldClaim) => void,
  ) {
    this.jobId = init.jobId;
    this.queue = basename(ctx.queueDir);
    this.job = init.job;
    this.dir = init.dir;
    this.attempt = init.attempt;
    this.token = init.token;
    this.publishedMs = init.publishedMs;
    this.wait = waitOf(init.waiting);
    const looks = init.waitLooks;
    this.waitLooks = typeof looks === 'number' && Number.isFinite(looks) && looks > 0 ? Math.floor(looks) : 0;
  }

  get waiting(): ClaimWait | undefined {
    return this.wait;
  }

  waitOver(): void {
    this.wait = undefined;
  }

  isLost(): boolean {
    return this.lost;
  }

  /**
   * One heartbeat; marks the claim lost when its folder is no longer where we put it. Beats never overlap:
   * the first one creates the lease file (remove, then create) and a second beat running beside it (the
   * timer's and confirm()'s) would find no file for a moment and take the claim for lost.
   */
  heartbeat(): Promise<void> {
    this.beating ??= this.beat().finally(() => {
      this.beating = undefined;
    });
    return this.beating;
  }

  private beating: Promise<void> | undefined;

  private async beat(): Promise<void> {
    if (this.lost || this.settling || this.settled) return;
    // The lease file is created by the first beat: a claim settled within one heartbeat interval never
    // needs one, and observers treat "no lease file" as one more value that must change in time.
    const alive = await beatLease(this.dir, ++this.counter, this.counter === 1);
    if (!alive && !this.settling && !this.settled) this.markLost('heartbeat found the claim folder gone');
  }

  /**
   * Beats the lease now and says whether the claim is still ours on disk, not only as last seen: a holder
   * that was stopped (SIGSTOP, a VM pause, a hung mount) past its lease learns here, before it makes
   * anything visible, that an observer took the job back. A job whose cancel was asked for is not to be
   * made visible either: false then too.
   */
  async confirm(): Promise<boolean> {
    if (!this.lost && !this.settling && !this.settled) {
      await this.heartbeat();
      await this.checkCancel();
    }
    return !this.lost && !this.cancelAsked;
  }

  cancelRequested(): boolean {
    return this.cancelAsked;
  }

  /** Looks for a cancel request in the claim folder (one lstat); the queue does this about every second. */
  async checkCancel(): Promise<boolean> {
    if (this.cancelAsked || this.lost || this.settling || this.settled) return this.cancelAsked;
    if (await pathExists(join(this.dir, CANCEL_REQUEST_FILE))) {
      this.cancelAsked = true;
      this.cancelRequest = await readCancelRequest(this.dir);
      this.ctx.logger?.info(
        { job_id: this.jobId, by: this.cancelRequest?.requested_by, reason: this.cancelRequest?.reason },
        'cancel requested; the job stops',
      );
    }
    return this.cancelAsked;
  }

  async cancel(stage?: string, published?: string[]): Promise<CancelRequest | undefined> {
    const request = this.cancelRequest ?? (await readCancelRequest(this.dir).catch(() => undefined));
    await this.settle(() =>
      archiveCancelled(this.ctx.queueDir, this.dir, this.jobId, this.token, {
        was: 'running',
        ...(stage !== undefined && { stage }),
        ...(published !== undefined && { published }),
        attempt: this.attempt,
        consumer: this.ctx.consumerId,
      }),
    );
    return request;
  }

  async complete(info: Record<string, unknown> = {}): Promise<void> {
    await this.settle(async () => {
      const doc = {
        job_id: this.jobId,
        status: 'succeeded',
        attempt: this.attempt,
        consumer: this.ctx.consumerId,
        token: this.token,
        time: new Date().toISOString(),
        info,
      };
      // Not fsynced: the job's state is the folder it is in (made durable by the archive rename and the
      // fsync of succeeded/); after a power cut this file may be empty, the job is still succeeded.
      // Error and rejection files, the only record of why, are fsynced.
      await writeJsonSynced(join(this.dir, RESULT_FILE), doc, false);
      return archiveFolder(
        this.dir,
        join(this.ctx.queueDir, SUCCEEDED_DIR),
        this.jobId,
        this.token,
        RESULT_FILE,
      );
    });
  }

  async fail(error: FailInfo): Promise<'retry' | 'failed'> {
    let outcome: 'retry' | 'failed' = 'failed';
    await this.settle(async () => {
      let message = error.message;
      if (error.retryable === true && this.attempt < this.ctx.maxAttempts) {
        const lastError = { stage: error.stage, message, attempt: this.attempt };
        const state: BundleState = { attempts: this.attempt, last_error: lastError, token: this.token };
        if (error.retryDelayMs !== undefined && error.retryDelayMs > 0) {
          state.retry_delay_ms = error.retryDelayMs;
          // This consumer knows of the delay from now on; others learn it when they first claim the retry.
          this.ctx.noteRetryDelay(this.jobId, delayKey(state), error.retryDelayMs);
        }
        try {
          if (!(await returnToReady(this.ctx, this.dir, this.jobId, state))) return undefined;
          outcome = 'retry';
          return this.dir;
        } catch (cause) {
          if (!(cause instanceof ImkError && cause.code === 'TARGET_EXISTS')) throw cause;
          // A new bundle with the same id is ready: keep this one as failed rather than replace it.
          message = `${message} (not retried: another job_${this.jobId} is ready)`;
        }
      }
      return this.archiveFailed(error, message);
    });
    return outcome;
  }

  async release(options: ReleaseOptions = {}): Promise<void> {
    await this.settle(async () => {
      const state: BundleState = { attempts: this.attempt - 1, token: this.token };
      const { delayMs, waitingFor } = options;
      if (waitingFor !== undefined) {
        // The same wait as the last claim's goes on from when it began; another one begins now.
        const wait = this.wait;
        const same = wait?.for === waitingFor;
        const since = same ? wait.since : new Date();
        const now = new Date();
        state.waiting = {
          for: waitingFor,
          since: since.toISOString(),
          looks: (same ? wait.looks : 0) + 1,
          last_look_at: now.toISOString(),
          ...(delayMs !== undefined &&
            delayMs > 0 && { next_look_at: new Date(now.getTime() + delayMs).toISOString() }),
        };
      }
      // The attempt's waits go on counting (a release at shutdown keeps the count as it was).
      const waitLooks = this.waitLooks + (waitingFor === undefined ? 0 : 1);
      if (waitLooks > 0) state.wait_looks = waitLooks;
      if (delayMs !== undefined && delayMs > 0) {
        state.retry_delay_ms = delayMs;
        // As for a retry (fail): this consumer knows of the delay from now on, others when they list it.
        this.ctx.noteRetryDelay(this.jobId, delayKey(state), delayMs);
      }
      return giveBack(this.ctx, this.dir, this.jobId, state, this.publishedMs).catch((cause: unknown) => {
        if (!(cause instanceof ImkError && cause.code === 'TARGET_EXISTS')) throw cause;
        throw new ImkError(
          'RELEASE_BLOCKED',
          `cannot release job ${this.jobId}: another job_${this.jobId} is ready`,
          {
            cause,
          },
        );
      });
    });
  }

  async reject(problems: RejectProblem[]): Promise<void> {
    await this.settle(() => rejectFolder(this.ctx, this.dir, this.jobId, this.token, problems, this.attempt));
  }

  private async archiveFailed(error: FailInfo, message: string): Promise<string | undefined> {
    const lastError = { stage: error.stage, message, attempt: this.attempt };
    await writeBundleState(this.dir, { attempts: this.attempt, last_error: lastError, token: this.token });
    await writeControlFile(this.dir, ERROR_FILE, {
      job_id: this.jobId,
      status: 'failed',
      stage: error.stage,
      message,
      retryable: error.retryable === true,
      attempt: this.attempt,
      max_attempts: this.ctx.maxAttempts,
      consumer: this.ctx.consumerId,
      token: this.token,
      time: new Date().toISOString(),
    });
    return archiveFolder(this.dir, join(this.ctx.queueDir, FAILED_DIR), this.jobId, this.token, ERROR_FILE);
  }

  /** Runs one settling move; heartbeats pause meanwhile. Undefined from `move` means the claim was lost. */
  private async settle(move: () => Promise<string | undefined>): Promise<void> {
    if (this.lost) throw claimLost(this.jobId, this.dir);
    if (this.settled || this.settling)
      throw new ImkError(
        'CLAIM_SETTLED',
        `the claim on job ${this.jobId} was already completed, failed or released`,
      );
    this.settling = true;
    let result: string | undefined;
    try {
      result = await move();
    } catch (error) {
      this.settling = false;
      if (isGone(error)) {
        this.markLost('its folder vanished while settling');
        throw claimLost(this.jobId, this.dir, error);
      }
      throw error;
    }
    this.settling = false;
    if (result === undefined) {
      this.markLost('the folder was gone when settling');
      throw claimLost(this.jobId, this.dir);
    }
    this.settled = true;
    this.onSettled(this);
  }

  private markLost(why: string): void {
    if (this.lost) return;
    this.lost = true;
    this.ctx.logger?.warn(
      { job_id: this.jobId, dir: this.dir, why },
      'claim lost; its work will be discarded',
    );
    this.onSettled(this);
  }
}

/** A wait read back from imk-state.json, or undefined when there is none or it does not parse. */
function waitOf(wait: BundleWait | undefined): ClaimWait | undefined {
  if (typeof wait?.for !== 'string' || typeof wait.since !== 'string') return undefined;
  const since = new Date(wait.since);
  const looks = typeof wait.looks === 'number' && wait.looks >= 0 ? Math.floor(wait.looks) : 0;
  return Number.isNaN(since.getTime()) ? undefined : { for: wait.for, since, looks };
}
