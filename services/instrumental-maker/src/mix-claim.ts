import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { readUntrustedText, writeError } from '@imk/fs-safe';
import type { Logger } from '@imk/log';
import { consumerPart, mixClaimName, mixLeaseName, mixLeaseToken, staleMixClaimName } from '@imk/protocol';

export interface ClaimMixOptions {
  outputsDir: string;
  /** The job whose outputs the mix joins. */
  jobId: string;
  consumerId: string;
  /** A claim whose lease has not moved for this long (on this worker's clock) is stale: the queue's lease. */
  leaseMs: number;
  /** How often a waiting worker looks again. */
  pollMs: number;
  signal: AbortSignal;
  logger?: Logger;
}

/** This worker's claim on a job's outputs, for one remix. */
export interface MixClaim {
  /** Answered from disk: the claim is still ours (asked right before publishing). */
  confirm(): Promise<boolean>;
  /** Stops the heartbeat and removes the claim (only while it is still ours). */
  release(): Promise<void>;
}

// Fixed width, so that rewriting in place never leaves a longer old value behind (as the queue's lease).
/** Largest lease file of a mix claim read (its counter, 21 bytes). */
const MIX_LEASE_MAX_BYTES = 4096;
const leaseText = (counter: number): string => `${String(counter).padStart(20, '0')}\n`;
const codeOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

/**
 * What an observer compares from one look to the next: the lease files in a claim folder and their
 * counters; `undefined` when there is no claim folder.
 */
async function readClaim(dir: string): Promise<string | undefined> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined;
    // Something else under the claim's name (a file): judged as a claim that never moves, so it is taken
    // away after the lease like a crashed holder's.
    if (codeOf(error) === 'ENOTDIR') return 'not a folder';
    throw error;
  }
  // Read through fs-safe: anyone who can write to outputs/ can put a FIFO or a link in here, and a plain
  // read of a FIFO would wait forever for a writer (the mix, and the thread, never come back). A file
  // refused stays as it is from one look to the next, so the claim is taken away after the lease.
  const parts = await Promise.all(
    names.map(async (n) => {
      const text = await readUntrustedText(join(dir, n), { maxBytes: MIX_LEASE_MAX_BYTES, name: n }).catch(
        (error: unknown) => `(${(error as { code?: string }).code ?? 'unreadable'})`,
      );
      return `${n}=${text.trim()}`;
    }),
  );
  return parts.join(';');
}

const LEASE_WRITE_FLAGS = constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Whether our lease file is still there as we wrote it: a regular file (looked at, never opened). */
async function isOurLease(lease: string): Promise<boolean> {
  return lstat(lease).then(
    (info) => info.isFile(),
    () => false,
  );
}

/** The consumer ids named by a claim folder's lease files (the holder), for messages. */
function holdersOf(value: string): string {
  const tokens = value
    .split(';')
    .map((part) => mixLeaseToken(part.split('=')[0] ?? ''))
    .filter((t): t is string => t !== undefined)
    .map((t) => t.slice(0, Math.max(0, t.lastIndexOf('.'))) || t);
  return tokens.length > 0 ? tokens.join(', ') : 'a worker that has not written its lease yet';
}

/**
 * Claims a job's outputs for one remix (or one run of the job itself, from its output folder to its
 * publishing), across every worker and host sharing outputs/ (NFS, SMB): the
 * exclusive creation of `outputs/.<job_id>.mixing/` (mkdir fails when it exists, on every one of them),
 * holding a lease file that this worker heartbeats every leaseMs / 3. Another worker's mix of the same job
 * waits, polling, until the folder is gone; a claim whose lease has not moved for leaseMs on the waiting
 * worker's own clock (its holder crashed, was stopped or cut off) is taken away as the queue takes back an
 * expired claim: one rename to a name unique to the taker, so that one taker wins. Its holder finds its
 * lease gone (confirm) and discards its work instead of publishing. Resolves once held; rejects when
 * `signal` aborts while waiting (a cancel, a shutdown).
 */
export async function claimMix(options: ClaimMixOptions): Promise<MixClaim> {
  const { outputsDir, jobId, leaseMs, signal, logger } = options;
  const dir = join(outputsDir, mixClaimName(jobId));
  const nonce = randomBytes(4).toString('hex');
  const token = `${consumerPart(jobId, options.consumerId)}.${nonce}`;
  const lease = join(dir, mixLeaseName(token));
  let seen: { value: string; since: number } | undefined;
  /** When this worker first found the claim held (its wait began), on its own clock. */
  let waitingSince: number | undefined;
  await mkdir(outputsDir, { recursive: true });
  for (;;) {
    signal.throwIfAborted();
    let made = false;
    try {
      await mkdir(dir);
      made = true;
      await writeFile(lease, leaseText(1), { flag: 'wx' });
      break;
    } catch (error) {
      // The lease not written (a full disk, a quota): said naming the file, not as Node's bare
      // "ENOSPC: no space left on device, write", which a job's error and `imk job` showed.
      if (made) {
        await rm(dir, { recursive: true, force: true });
        throw writeError(lease, error);
      }
      if (codeOf(error) !== 'EEXIST') throw error;
    }
    const value = await readClaim(dir);
    if (value === undefined) continue; // released meanwhile: try again at once
    const now = performance.now();
    if (seen === undefined || seen.value !== value) {
      if (waitingSince === undefined) {
        waitingSince = now;
        logger?.warn(
          { job_id: jobId, holder: holdersOf(value) },
          `the outputs of job ${jobId} are being written by ${holdersOf(value)} (a mix, or a run of the job); waiting for it to finish`,
        );
      } else if (seen !== undefined)
        // The holder is alive (its lease moved since the last look): said at debug level, with how long
        // this worker has waited, so that a wait past several leases can be seen to be a live one.
        logger?.debug(
          { job_id: jobId, holder: holdersOf(value), waited_ms: Math.round(now - waitingSince) },
          `the mix claim of job ${jobId} is held by ${holdersOf(value)}, whose lease moved; still waiting`,
        );
      seen = { value, since: now };
    } else if (now - seen.since >= leaseMs && (await takeStale(dir, jobId, value, nonce, outputsDir))) {
      logger?.warn(
        { job_id: jobId, holder: holdersOf(value) },
        `took over the mix claim of job ${jobId} from ${holdersOf(value)}: its lease had not moved for ${leaseMs} ms (crashed, stopped or cut off)`,
      );
      seen = undefined;
      continue;
    }
    await sleep(options.pollMs, undefined, { signal }).catch(() => signal.throwIfAborted());
  }
  return heldClaim(dir, lease, leaseMs);
}

/**
 * Takes a stale claim folder away (one rename to a name unique to us) and removes it, when what was
 * taken is the claim judged stale. A fresh claim taken by mistake (another waiter replaced the stale one
 * in between) is put back when its name is still free. Returns whether the stale claim is gone.
 */
async function takeStale(
  dir: string,
  jobId: string,
  staleValue: string,
  nonce: string,
  outputsDir: string,
): Promise<boolean> {
  const aside = join(outputsDir, staleMixClaimName(jobId, nonce));
  try {
    await rename(dir, aside);
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return true; // another waiter took it
    throw error;
  }
  if ((await readClaim(aside)) !== staleValue) {
    // rename() of a folder onto a missing name; a claim made meanwhile (not empty) is never replaced.
    await rename(aside, dir).catch(() => undefined);
  }
  await rm(aside, { recursive: true, force: true });
  return true;
}

function heldClaim(dir: string, lease: string, leaseMs: number): MixClaim {
  let counter = 1;
  let lost = false;
  let beating: Promise<void> = Promise.resolve();
  const beat = async (): Promise<void> => {
    try {
      // Never creates the file: when the claim was taken away, the open fails and the claim is lost. Nor
      // follows a link or waits on a FIFO put in its place (outputs/ is shared): that lease is not ours.
      const handle = await open(lease, LEASE_WRITE_FLAGS);
      try {
        if (!(await handle.stat()).isFile()) lost = true;
        else await handle.write(leaseText(++counter), 0);
      } finally {
        await handle.close();
      }
    } catch (error) {
      if (['ENOENT', 'ENOTDIR', 'ELOOP', 'ENXIO'].includes(codeOf(error) ?? '')) lost = true;
    }
  };
  const timer = setInterval(
    () => {
      beating = beating.then(beat);
    },
    Math.max(1, Math.floor(leaseMs / 3)),
  );
  timer.unref();
  return {
    async confirm() {
      await beating;
      if (lost) return false;
      return await isOurLease(lease);
    },
    async release() {
      clearInterval(timer);
      await beating;
      // Only our own claim is removed: one taken away from us is someone else's now.
      if (!lost && (await isOurLease(lease))) await rm(dir, { recursive: true, force: true });
    },
  };
}
