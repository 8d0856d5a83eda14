import { lstat, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ImkError } from '@imk/errors';
import { readBundleState, writeBundleState } from './bundle-state.ts';
import { returnToReady } from './claim.ts';
import { writeControlFile } from './moves.ts';
import { consumerOfToken, type QueueContext } from './context.ts';
import { NO_LEASE, readLease } from './lease.ts';
import { listNamesOrEmpty, pathExists } from '@imk/fs-safe';
import { archiveCancelled } from './cancel-archive.ts';
import { archiveFolder, moveOwned } from './moves.ts';
import {
  CANCEL_REQUEST_FILE,
  CLAIMED_DIR,
  ERROR_FILE,
  FAILED_DIR,
  LEASE_FILE,
  REJECTION_FILE,
  RESULT_FILE,
  parseReadyName,
  parseTokenName,
  tokenName,
} from './names.ts';
import { jobIdOfBundle } from './bundle-job-id.ts';

/**
 * Watches the lease counters of other consumers' claims on THIS process's monotonic clock: a claim whose
 * lease file content has not changed for leaseMs since this observer first saw that content is expired.
 * Timestamps written by other hosts are never compared.
 */
export class LeaseObserver {
  private readonly seen = new Map<string, { value: string; since: number }>();

  constructor(
    private readonly ctx: QueueContext,
    private readonly leaseMs: number,
  ) {}

  /** Expired claims go back to ready with attempt + 1, or to failed after maxAttempts. */
  async recoverExpired(held: ReadonlySet<string>): Promise<number> {
    const claimedDir = join(this.ctx.queueDir, CLAIMED_DIR);
    const names = await listNamesOrEmpty(claimedDir);
    const present = new Set(names);
    for (const name of this.seen.keys()) if (!present.has(name)) this.seen.delete(name);
    for (const name of this.told) if (!present.has(name)) this.told.delete(name);
    let recovered = 0;
    for (const name of names) {
      if (held.has(name)) continue;
      const dir = join(claimedDir, name);
      const parsed = await this.claimOf(dir, name);
      if (!parsed) continue;
      const value = await readLease(dir);
      const now = performance.now();
      const prior = this.seen.get(name);
      if (!prior || prior.value !== value) {
        this.seen.set(name, { value, since: now });
        continue;
      }
      if (now - prior.since < this.leaseMs) continue;
      this.seen.delete(name);
      if (await this.expire(dir, parsed.jobId, parsed.token, value === NO_LEASE)) recovered++;
    }
    return recovered;
  }

  /** Names in claimed/ that are no claim and hold no job id, already said in the log (once each). */
  private readonly told = new Set<string>();

  /**
   * The job and token of a folder in claimed/. A claim's name is `job_<id>@<token>`; a folder renamed by
   * hand (`job_<id>`, `my song`, a file manager's "copy") was skipped for good, never retried nor said: its
   * job is read from its job.json (through fs-safe: a FIFO or a link is not read), and it expires like any
   * claim whose lease stands still. One without a job id there is said in the log, once, and left alone.
   */
  private async claimOf(dir: string, name: string): Promise<{ jobId: string; token: string } | undefined> {
    const parsed = parseTokenName(name);
    if (parsed) return parsed;
    // Hidden names are no job's (a file manager's .Trash-1000, a look at the clock): not judged.
    if (name.startsWith('.') || !(await lstat(dir).catch(() => undefined))?.isDirectory()) return undefined;
    const jobId = parseReadyName(name) ?? (await jobIdOfBundle(dir));
    if (jobId !== undefined) return { jobId, token: name };
    if (!this.told.has(name)) {
      this.told.add(name);
      this.ctx.logger?.warn(
        { dir },
        `${CLAIMED_DIR}/${name} in queue ${basename(this.ctx.queueDir)} is no claim (a claim is named job_<id>@<token>) and holds no job.json with a job_id: it is never run. Move it out of ${CLAIMED_DIR}/, or into the queue folder as job_<id> to run it`,
      );
    }
    return undefined;
  }

  private async expire(dir: string, jobId: string, oldToken: string, noLease: boolean): Promise<boolean> {
    // First take the folder for ourselves (one rename to a name unique to us): from here on the old holder's
    // heartbeat and archive rename fail, so it discards its work, and no other observer can act on it.
    const token = this.ctx.newToken(jobId);
    const held = join(this.ctx.queueDir, CLAIMED_DIR, tokenName(jobId, token));
    if (!(await moveOwned(dir, held, pathExists))) return false;

    const state = await readBundleState(held);
    const attempt = state.attempts + 1;
    // A job cancelled while its holder was gone (crashed, cut off): the cancel is honoured, not retried.
    if (await pathExists(join(held, CANCEL_REQUEST_FILE))) {
      await rm(join(held, LEASE_FILE), { force: true });
      const archived = await archiveCancelled(this.ctx.queueDir, held, jobId, token, {
        was: 'running',
        attempt,
        consumer: this.ctx.consumerId,
      });
      this.ctx.logger?.warn(
        { job_id: jobId, dir: archived },
        'expired claim with a cancel request archived as cancelled',
      );
      return archived !== undefined;
    }
    // Control files the old holder may have left; the bundle's own files are untouched.
    for (const file of [LEASE_FILE, RESULT_FILE, ERROR_FILE, REJECTION_FILE])
      await rm(join(held, file), { force: true });
    const renamed = parseTokenName(basename(dir)) === undefined;
    const holder = renamed ? 'unknown' : consumerOfToken(oldToken);
    const message = renamed
      ? `its claim folder was renamed to ${CLAIMED_DIR}/${basename(dir)} (no claim's name) and no consumer heartbeat it for ${this.leaseMs} ms: taken back`
      : noLease
        ? `consumer ${holder} claimed the job but never wrote a lease within ${this.leaseMs} ms`
        : `lease expired: consumer ${holder} stopped heartbeating for ${this.leaseMs} ms (crashed, stopped or cut off)`;
    const lastError = { stage: 'lease', message, attempt };
    const log = this.ctx.logger?.child({ job_id: jobId, holder, attempt });

    if (attempt < this.ctx.maxAttempts) {
      try {
        if (await returnToReady(this.ctx, held, jobId, { attempts: attempt, last_error: lastError, token })) {
          log?.warn({ reason: message }, 'expired claim returned to ready');
          return true;
        }
        return false;
      } catch (error) {
        if (!(error instanceof ImkError && error.code === 'TARGET_EXISTS')) throw error;
        lastError.message = `${message} (not retried: another job_${jobId} is ready)`;
      }
    }
    await writeBundleState(held, { attempts: attempt, last_error: lastError, token });
    await writeControlFile(held, ERROR_FILE, {
      job_id: jobId,
      status: 'failed',
      stage: 'lease',
      message: lastError.message,
      retryable: true,
      attempt,
      max_attempts: this.ctx.maxAttempts,
      consumer: holder,
      observer: this.ctx.consumerId,
      token,
      time: new Date().toISOString(),
    });
    const archived = await archiveFolder(held, join(this.ctx.queueDir, FAILED_DIR), jobId, token, ERROR_FILE);
    log?.error(
      { reason: lastError.message, dir: archived },
      'expired claim archived as failed after max attempts',
    );
    return archived !== undefined;
  }
}
