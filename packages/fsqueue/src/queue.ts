import { lstat, mkdir, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { ImkError, errorMessage } from '@imk/errors';
import { readBundle } from '@imk/protocol';
import { delayKey, readBundleState } from './bundle-state.ts';
import { archiveCancelled } from './cancel-archive.ts';
import { HeldClaim, giveBack } from './claim.ts';
import { rejectFolder } from './rejected.ts';
import { rejectInvalidEntries, settleClaimError } from './claim-trouble.ts';
import { checkConsumerId, defaultConsumerId, tokenFactory, type QueueContext } from './context.ts';
import { countJobs, listQueueJobs } from './inspect.ts';
import { idTakenProblem } from './job-id-elsewhere.ts';
import { pathExists } from '@imk/fs-safe';
import { CANCEL_REQUEST_FILE, CLAIMED_DIR, parseReadyName, tokenName } from './names.ts';
import { ReadyIndex, type Candidate } from './ready-index.ts';
import { LeaseObserver } from './recover.ts';
import { TmpSweeper } from './sweep.ts';
import type { Claim, Queue, QueueOptions } from './types.ts';
import './errors.ts';

export const DEFAULT_LEASE_MS = 30_000;
export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_TMP_MAX_AGE_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_POLL_MS = 1000;
const SWEEP_EVERY_MS = 60_000;
/** How often held claims look for a cancel request (one lstat each). */
const CANCEL_CHECK_MS = 1000;

/** Above this many remembered ready jobs the watcher is stopped (see refresh). */
const WATCH_MAX_BACKLOG = 200;

/** A consumer of one queue folder. Timers and the watcher start with the first claim or waitForWork. */
export function createQueue(options: QueueOptions): Queue {
  return new FsQueue(options);
}

class FsQueue implements Queue {
  readonly queueDir: string;
  readonly consumerId: string;
  private readonly ctx: QueueContext;
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  private readonly pollMs: number;
  private readonly index: ReadyIndex;
  private readonly observer: LeaseObserver;
  private readonly sweeper: TmpSweeper;
  private readonly held = new Map<string, HeldClaim>();
  private readonly waiters = new Set<() => void>();
  private readonly timers: NodeJS.Timeout[] = [];
  private watcher: FSWatcher | undefined;
  private started = false;
  private closed = false;
  private polling = false;
  private maintaining = false;
  private lastSweep = Number.NEGATIVE_INFINITY;
  /** Entries that could not be moved to rejected/ (said once in the log, tried again each listing). */
  private readonly stuck = new Set<string>();

  constructor(private readonly options: QueueOptions) {
    this.queueDir = options.queueDir;
    this.consumerId = checkConsumerId(options.consumerId ?? defaultConsumerId());
    this.leaseMs = positive('leaseMs', options.leaseMs ?? DEFAULT_LEASE_MS);
    this.heartbeatMs = positive(
      'heartbeatMs',
      options.heartbeatMs ?? Math.max(1, Math.floor(this.leaseMs / 3)),
    );
    if (this.heartbeatMs >= this.leaseMs)
      throw new ImkError(
        'INVALID_QUEUE_OPTIONS',
        `heartbeatMs (${this.heartbeatMs}) must be shorter than leaseMs (${this.leaseMs})`,
      );
    this.pollMs = positive('pollMs', options.pollMs ?? DEFAULT_POLL_MS);
    const logger = options.logger?.child({ component: 'fsqueue', queue: basename(this.queueDir) });
    this.ctx = {
      queueDir: this.queueDir,
      consumerId: this.consumerId,
      maxAttempts: positive('maxAttempts', options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS),
      logger,
      newToken: tokenFactory(this.consumerId),
      noteRetryDelay: (jobId, key, delayMs) => void this.index.noteRetryDelay(jobId, key, delayMs),
      onReject: options.onReject,
    };
    this.index = new ReadyIndex(this.queueDir, this.ctx.logger);
    this.observer = new LeaseObserver(this.ctx, this.leaseMs);
    this.sweeper = new TmpSweeper(this.queueDir, options.tmpMaxAgeMs ?? DEFAULT_TMP_MAX_AGE_MS, logger);
  }

  async claim(): Promise<Claim | undefined> {
    this.assertOpen();
    this.start();
    let listedNow = false;
    if (this.index.listingAgeMs() >= this.pollMs) {
      await this.refresh();
      listedNow = true;
    } else if (this.index.hasHints()) await this.index.mergeHints();
    for (;;) {
      for (const candidate of this.index.candidates()) {
        if (!this.index.isDue(candidate)) continue;
        this.index.drop(candidate);
        const claim = await this.tryClaim(candidate);
        if (claim) return claim;
      }
      // Every remembered candidate was taken by others: one fresh listing before saying "nothing".
      if (listedNow || this.closed) return undefined;
      await this.refresh();
      listedNow = true;
    }
  }

  async waitForWork(signal?: AbortSignal): Promise<void> {
    this.assertOpen();
    this.start();
    // The watcher only helps an idle consumer; it starts here and stops again when a backlog builds up.
    if (this.options.watch !== false && !this.watcher) this.startWatcher();
    if (signal?.aborted || this.index.hasHints()) return;
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        this.waiters.delete(wake);
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      this.waiters.add(wake);
      signal?.addEventListener('abort', wake, { once: true });
    });
  }

  async recoverExpired(): Promise<number> {
    const recovered = await this.observer.recoverExpired(new Set(this.held.keys()));
    if (recovered > 0) this.wake();
    return recovered;
  }

  sweepTmp(): Promise<number> {
    return this.sweeper.sweep();
  }

  counts(): ReturnType<Queue['counts']> {
    return countJobs(this.queueDir);
  }

  listJobs(state?: Parameters<Queue['listJobs']>[0]): ReturnType<Queue['listJobs']> {
    return listQueueJobs(this.queueDir, state === undefined ? {} : { states: [state] });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
    this.wake();
    await this.stopWatcher();
  }

  private async stopWatcher(): Promise<void> {
    const watcher = this.watcher;
    this.watcher = undefined;
    await watcher?.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new ImkError('QUEUE_CLOSED', `the queue ${this.queueDir} was closed`);
  }

  private async refresh(): Promise<void> {
    await mkdir(join(this.queueDir, CLAIMED_DIR), { recursive: true });
    await this.index.refresh();
    await this.rejectInvalid();
    // chokidar re-reads and lstat()s the whole folder on every change: with a long backlog that costs
    // far more than it helps (a busy consumer needs no hint), so the watcher rests until we are idle again.
    if (this.watcher && this.index.size() > WATCH_MAX_BACKLOG) await this.stopWatcher();
  }

  private async rejectInvalid(): Promise<void> {
    await rejectInvalidEntries(this.ctx, this.index.takeInvalid(), this.stuck);
  }

  private async tryClaim(candidate: Candidate): Promise<HeldClaim | undefined> {
    const token = this.ctx.newToken(candidate.jobId);
    const name = tokenName(candidate.jobId, token);
    const dir = join(this.queueDir, CLAIMED_DIR, name);
    try {
      // The target name is unique to this claim, so it can never replace anything.
      await rename(join(this.queueDir, candidate.name), dir);
    } catch (error) {
      // Lost the race (ENOENT), or an ambiguous error: the claim is ours exactly when our target exists.
      if (!(await pathExists(dir))) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT')
          this.ctx.logger?.debug({ job_id: candidate.jobId, code }, 'claim rename failed');
        return undefined;
      }
    }
    let attempt = 1;
    try {
      // The entry was a real folder when listed; a link swapped in since is moved aside, never written through.
      const info = await lstat(dir);
      if (!info.isDirectory()) {
        const problem = `${candidate.name} is not a real bundle folder (a link or a file); links are not followed`;
        await rejectInvalidEntries(this.ctx, new Map([[candidate.name, problem]]), this.stuck, dir);
        return undefined;
      }
      const state = await readBundleState(dir);
      attempt = state.attempts + 1;
      // A cancel asked for while the job was between two claims (released, retried): honoured here.
      if (await pathExists(join(dir, CANCEL_REQUEST_FILE))) {
        await archiveCancelled(this.queueDir, dir, candidate.jobId, token, {
          was: 'ready',
          attempt: state.attempts,
          consumer: this.consumerId,
        });
        return undefined;
      }
      const mtimeMs = candidate.publishedMs;
      if (state.retry_delay_ms !== undefined && state.retry_delay_ms > 0) {
        const since = this.index.noteRetryDelay(candidate.jobId, delayKey(state), state.retry_delay_ms);
        if (performance.now() - since < state.retry_delay_ms) {
          // A retry that asked to wait, learned of only now: give it back untouched until it is due.
          await giveBack(this.ctx, dir, candidate.jobId, { ...state, token }, mtimeMs);
          return undefined;
        }
      }
      this.index.forgetRetryDelay(candidate.jobId);
      const bundle = await readBundle(dir, { verifyHashes: this.options.verifyHashes !== false });
      const problems = bundle.ok ? [] : bundle.problems;
      // The same id in another Unicode normalisation (macOS names folders in NFD, "Bjo\u0308rk", where a
      // script wrote "Björk" in job.json) is the same job: spelt as on disk, like the files it names.
      if (bundle.ok && bundle.job.job_id.normalize('NFC') === candidate.jobId.normalize('NFC'))
        bundle.job.job_id = candidate.jobId;
      if (bundle.ok && bundle.job.job_id !== candidate.jobId)
        problems.push({
          path: 'job_id',
          message: `job.json says "${bundle.job.job_id}" but the folder is ${candidate.name}`,
        });
      // Last: a job of this id that ran or runs in another queue owns outputs/<id>/, which this run would
      // replace; the owner file decides between two claims of the id at one instant (job-id-owner.ts).
      const taken =
        problems.length === 0
          ? await idTakenProblem(this.queueDir, candidate.jobId, { token, consumer: this.consumerId })
          : undefined;
      if (taken) problems.push(taken);
      if (!bundle.ok || problems.length > 0) {
        await rejectFolder(this.ctx, dir, candidate.jobId, token, problems, attempt);
        return undefined;
      }
      const claim = new HeldClaim(
        this.ctx,
        {
          jobId: candidate.jobId,
          job: bundle.job,
          dir,
          token,
          attempt,
          publishedMs: mtimeMs,
          waiting: state.waiting,
          waitLooks: state.wait_looks,
        },
        (settled) => this.held.delete(basename(settled.dir)),
      );
      this.held.set(name, claim);
      this.ctx.logger?.debug({ job_id: candidate.jobId, attempt }, 'claimed');
      return claim;
    } catch (error) {
      await settleClaimError(this.ctx, this.index, { jobId: candidate.jobId, dir, token, attempt }, error);
      return undefined;
    }
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.every(this.heartbeatMs, () => this.heartbeat());
    this.every(Math.min(this.heartbeatMs, CANCEL_CHECK_MS), () => this.checkCancels());
    this.every(this.pollMs, () => this.poll());
    if (this.options.maintenance !== false)
      this.every(Math.max(50, Math.floor(this.leaseMs / 4)), () => this.maintain());
  }

  private every(ms: number, task: () => Promise<void>): void {
    const timer = setInterval(() => {
      task().catch((error: unknown) =>
        this.ctx.logger?.error({ error: errorMessage(error) }, 'queue background task failed'),
      );
    }, ms);
    this.timers.push(timer);
  }

  private async heartbeat(): Promise<void> {
    await Promise.all([...this.held.values()].map((claim) => claim.heartbeat()));
  }

  private async checkCancels(): Promise<void> {
    await Promise.all([...this.held.values()].map((claim) => claim.checkCancel()));
  }

  /** The periodic listing: the source of truth for waiters, whatever the watcher says. */
  private async poll(): Promise<void> {
    if (this.polling || this.waiters.size === 0) return;
    this.polling = true;
    try {
      await this.refresh();
      const now = performance.now();
      for (const candidate of this.index.candidates()) {
        if (this.index.isDue(candidate, now)) {
          this.wake();
          break;
        }
      }
    } finally {
      this.polling = false;
    }
  }

  private async maintain(): Promise<void> {
    if (this.maintaining) return;
    this.maintaining = true;
    try {
      await this.recoverExpired();
      const sweepEvery = Math.min(SWEEP_EVERY_MS, this.options.tmpMaxAgeMs ?? SWEEP_EVERY_MS);
      if (performance.now() - this.lastSweep >= sweepEvery) {
        this.lastSweep = performance.now();
        await this.sweepTmp();
      }
    } finally {
      this.maintaining = false;
    }
  }

  private startWatcher(): void {
    const watcher = watch(this.queueDir, {
      depth: 0,
      ignoreInitial: true,
      // Only ready names matter; never descend into claimed/ or the archives.
      ignored: (path) => path !== this.queueDir && parseReadyName(basename(path)) === undefined,
    });
    // Raw events arrive at once; chokidar's own add events are throttled.
    watcher.on('raw', (_event, path) => this.onWatchEvent(basename(String(path))));
    watcher.on('addDir', (path) => this.onWatchEvent(basename(path)));
    watcher.on('error', (error) =>
      this.ctx.logger?.warn({ error: errorMessage(error) }, 'queue watcher error (polling continues)'),
    );
    this.watcher = watcher;
  }

  private onWatchEvent(name: string): void {
    if (parseReadyName(name) === undefined) return;
    this.index.hint(name);
    this.wake();
  }

  private wake(): void {
    for (const wake of [...this.waiters]) wake();
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new ImkError('INVALID_QUEUE_OPTIONS', `${name} must be a positive number, got ${value}`);
  return value;
}
