import type { Logger } from '@imk/log';
import type { Job } from '@imk/protocol';
import type { CancelRequest } from './cancel-archive.ts';
import type { QueueEntry } from './find-job.ts';
import type { JobState } from './names.ts';
import type { Rejection } from './rejected.ts';

export interface QueueOptions {
  /** The queue folder, e.g. `<root>/queues/youtube_audio`; created if missing. */
  queueDir: string;
  /**
   * Names this consumer in claim folder names and error files; letters, digits, ".", "_", "-".
   * @default `${hostname}-${pid}-${random}`
   */
  consumerId?: string;
  /** A claim whose heartbeat counter has not changed for this long (observer's own clock) is expired. @default DEFAULT_LEASE_MS */
  leaseMs?: number;
  /** How often a holder bumps its heartbeat counter. @default leaseMs / 3 */
  heartbeatMs?: number;
  /** Attempts before a job is archived as failed (failures and expired leases both count). @default DEFAULT_MAX_ATTEMPTS */
  maxAttempts?: number;
  /** `.tmp` folders unchanged for this long (observer's own clock) are removed by sweepTmp. @default DEFAULT_TMP_MAX_AGE_MS */
  tmpMaxAgeMs?: number;
  /** Interval of the periodic listing, the source of truth (the watcher is only a hint). @default DEFAULT_POLL_MS */
  pollMs?: number;
  /** Watch the queue folder with chokidar to notice new bundles sooner. @default true */
  watch?: boolean;
  /** readBundle checks every files[] sha256 and size on claim. @default true */
  verifyHashes?: boolean;
  /**
   * While claim/waitForWork are in use, run recoverExpired every leaseMs/4 and sweepTmp every minute.
   * @default true
   */
  maintenance?: boolean;
  /**
   * Called each time this consumer archives a bundle as rejected (invalid job.json, a hash mismatch, an
   * entry that cannot be a bundle), with the reasons written to imk-rejection.json. An error it throws
   * is logged, never raised into claim().
   */
  onReject?: (rejection: Rejection) => void | Promise<void>;
  logger?: Logger;
}

export interface QueueCounts {
  ready: number;
  claimed: number;
  succeeded: number;
  failed: number;
  rejected: number;
  cancelled: number;
  tmp: number;
  /** Age of the oldest ready bundle (by its folder's mtime), or null when none is ready. */
  oldestReadyAgeSec: number | null;
}

/** One queue's counts with its name (a folder under `queues/`), as `imk queue ls` and the dashboard show them. */
export interface NamedQueueCounts extends QueueCounts {
  queue: string;
}

export interface Queue {
  readonly queueDir: string;
  readonly consumerId: string;
  /**
   * The next ready job: higher `options.priority` first, then FIFO by publish time. An invalid bundle is
   * rejected (archived with imk-rejection.json) and claim moves on. Undefined when nothing is ready.
   */
  claim(): Promise<Claim | undefined>;
  /** Resolves when the periodic listing or the watcher suggests work (or the signal aborts). */
  waitForWork(signal?: AbortSignal): Promise<void>;
  /** Expired claims go back to ready with attempt + 1, or to failed after maxAttempts. Returns how many. */
  recoverExpired(): Promise<number>;
  /** Removes `.tmp` folders unchanged for tmpMaxAgeMs. Returns how many. */
  sweepTmp(): Promise<number>;
  counts(): Promise<QueueCounts>;
  /** Every job folder (or those in one state), for ledger rebuilds and operators. */
  listJobs(state?: JobState): Promise<QueueEntry[]>;
  /** Stops the heartbeats, timers and watcher it started. Claims still held stay claimed until their lease expires. */
  close(): Promise<void>;
}

export interface FailInfo {
  /** Where it failed: "decode", "separate", "encode", … */
  stage: string;
  message: string;
  /** Try again (until maxAttempts) rather than archive as failed. @default false */
  retryable?: boolean;
  /** A retry is not claimed before this many ms, as measured by each consumer's own clock. @default no wait */
  retryDelayMs?: number;
}

export interface ReleaseOptions {
  /** Not claimed again before this many ms, as measured by each consumer's own clock. @default no wait */
  delayMs?: number;
  /**
   * What the job waits for, kept in imk-state.json with when the wait began (the time of the first release
   * for the same thing), so that the next claim knows how long it has waited (Claim.waiting).
   */
  waitingFor?: string;
}

/** A wait an earlier claim of this job gave it back for (imk-state.json `waiting`). */
export interface ClaimWait {
  for: string;
  /** When the wait began (the first release for it). */
  since: Date;
  /** How many looks (releases for this wait) there have been so far. */
  looks: number;
}

export interface RejectProblem {
  /** The file the field is in (`job.json`), said before the field in the rejection's reason. */
  file?: string;
  path: string;
  message: string;
}

export interface Claim {
  readonly jobId: string;
  /** The name of the queue folder it was claimed from (e.g. `other`). */
  readonly queue: string;
  readonly job: Job;
  /** The claimed folder; the bundle's files are readable there while the claim is held. */
  readonly dir: string;
  /** 1-based attempt number. */
  readonly attempt: number;
  /** True once a heartbeat found the claim is no longer ours: discard the work. */
  isLost(): boolean;
  /**
   * Beats the lease now and resolves false when the claim is no longer ours on disk. Call it right before
   * making work visible (publishing outputs): isLost() only knows what the last heartbeat found.
   */
  confirm(): Promise<boolean>;
  /** Archive as succeeded (imk-result.json holds `info`). ImkError CLAIM_LOST if lost. */
  complete(info?: Record<string, unknown>): Promise<void>;
  /** Retry (back to ready, attempt + 1) or archive as failed with imk-error.json. ImkError CLAIM_LOST if lost. */
  fail(error: FailInfo): Promise<'retry' | 'failed'>;
  /**
   * Back to ready without raising the attempt count, keeping its place in line (graceful shutdown). With
   * `delayMs`, not claimed again before then: the job waits for something outside it (another program
   * still writing its outputs folder) without spending its attempts.
   */
  release(options?: ReleaseOptions): Promise<void>;
  /**
   * The wait an earlier claim of this job gave it back for (release with `waitingFor`), with when it began;
   * undefined when the last claim did not wait. A caller measures how long the job has waited by it.
   */
  readonly waiting: ClaimWait | undefined;
  /**
   * The wait this claim found (`waiting`) is over: the job looked, found what it waited for done and goes
   * on. `waiting` is undefined from now on, and a release for the same thing later in this claim (the job
   * ran, then found it busy again) begins a new wait, with its own `since` and looks.
   */
  waitOver(): void;
  /**
   * Looks of every wait of this attempt so far, by the claims before this one (imk-state.json
   * `wait_looks`): kept after waitOver(), so that a job cycling wait -> run -> wait can be bounded by all its
   * waits together, not by each wait afresh.
   */
  readonly waitLooks: number;
  /** Archive as rejected: the bundle itself is invalid; imk-rejection.json lists the problems. */
  reject(problems: RejectProblem[]): Promise<void>;
  /**
   * True once a cancel was asked for (`imk cancel`, the dashboard; from any host, through a request file in
   * the claim folder, noticed within about a second): stop the work, publish nothing, then call cancel().
   */
  cancelRequested(): boolean;
  /**
   * Archive as cancelled with imk-cancel.json (the request's reason, `stage` it was stopped in, and the
   * output folders it had `published` before, if any). Returns the request it honoured (who asked and
   * why), for the caller's own records.
   */
  cancel(stage?: string, published?: string[]): Promise<CancelRequest | undefined>;
}
