import { randomBytes } from 'node:crypto';
import { mkdir, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImkError, isAbsentErrno } from '@imk/errors';
import { pathExists } from '@imk/fs-safe';
import { readAttempts } from './bundle-state.ts';
import { archiveCancelled, cancelMessage, writeCancelRequest, type CancelRequest } from './cancel-archive.ts';
import { findJobFolders } from './find-job.ts';
import { tokenIn } from './moves.ts';
import { CANCEL_FILE, CANCELLED_DIR, CLAIMED_DIR, parseTokenName, readyName, tokenName } from './names.ts';
import './errors.ts';

/** What imk-cancel.json records when the caller does not say why or who. */
export const CANCEL_DEFAULTS = { reason: '(no reason given)', by: 'operator' } as const;

export interface CancelJobOptions {
  /** Why, in the operator's words; kept in imk-cancel.json. @default CANCEL_DEFAULTS.reason */
  reason?: string;
  /** Who asks (`imk cancel`, `dashboard`), kept in imk-cancel.json. @default CANCEL_DEFAULTS.by */
  by?: string;
}

/** The longest reason a cancel keeps (the dashboard's form and `imk cancel --reason` alike). */
export const CANCEL_REASON_MAX = 500;

/**
 * A cancel's reason as it is kept and shown: one line of text. Control characters (a line break, a
 * terminal's escape sequences) become spaces, so a reason cannot forge another line of `imk job`'s history
 * or recolour the operator's terminal. A reason longer than CANCEL_REASON_MAX is refused, naming the limit.
 */
export function cancelReason(text: string | undefined): string {
  const line = (text ?? '')
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  if ([...line].length > CANCEL_REASON_MAX)
    throw new ImkError(
      'INVALID_CANCEL_REASON',
      `the cancel reason is ${[...line].length} characters long; give one of at most ${CANCEL_REASON_MAX} (nothing was cancelled)`,
    );
  return line || CANCEL_DEFAULTS.reason;
}

/** One folder of the job that cancelJob acted on. */
export interface CancelOutcome {
  jobId: string;
  /** `cancelled`: it was ready and is archived now. `requested`: it is running; its holder stops it. */
  state: 'cancelled' | 'requested';
  /** The cancelled archive, or the claimed folder the request was put into. */
  dir: string;
  /** For `cancelled`: the line imk-cancel.json says it by (who, and the reason), for the ledger. */
  message?: string;
}

/** A job that moves while we act on it is looked for again this many times. */
const ROUNDS = 5;

/**
 * Cancels a job of one queue. A ready job is taken (renamed to a claim of ours, as a consumer would) and
 * archived in cancelled/ with imk-cancel.json. A claimed job gets imk-cancel-request.json in its claim
 * folder: its holder, on whichever host, notices within about a second, stops, removes its partial
 * outputs and archives the claim as cancelled (an observer that finds the holder gone does it instead).
 * A job that is being published (`.tmp`), finished, failed, rejected, cancelled already or unknown is
 * refused with an error naming the job and where it is.
 */
export async function cancelJob(
  queueDir: string,
  jobId: string,
  options: CancelJobOptions = {},
): Promise<CancelOutcome[]> {
  const by = options.by ?? CANCEL_DEFAULTS.by;
  const reason = cancelReason(options.reason);
  const request = (token?: string): CancelRequest => ({
    job_id: jobId,
    reason,
    requested_by: by,
    requested_at: new Date().toISOString(),
    ...(token !== undefined && { token }),
  });
  for (let round = 0; round < ROUNDS; round++) {
    const found = await findJobFolders(queueDir, jobId);
    const active = found.filter((entry) => entry.state === 'ready' || entry.state === 'claimed');
    if (active.length === 0) throw notCancellable(queueDir, jobId, found);
    const outcomes: CancelOutcome[] = [];
    let moved = false;
    for (const entry of active) {
      const done =
        entry.state === 'ready'
          ? await cancelReady(queueDir, jobId, request, by)
          : await requestCancel(entry.dir, request());
      if (done) outcomes.push(done);
      else moved = true;
    }
    // Something moved under us (claimed, finished) and nothing was done: look again.
    if (outcomes.length > 0 || !moved) return outcomes;
  }
  throw new ImkError(
    'JOB_MOVING',
    `job ${jobId} kept moving between states in ${queueDir} while cancelling; look at it with \`imk job ${jobId}\` and try again`,
    { details: { job_id: jobId } },
  );
}

function notCancellable(queueDir: string, jobId: string, found: { state: string; dir: string }[]): ImkError {
  const tmp = found.find((entry) => entry.state === 'tmp');
  if (tmp)
    return new ImkError(
      'JOB_NOT_CANCELLABLE',
      `job ${jobId} is still being published (${tmp.dir}); cancel it once it is ready`,
      { details: { job_id: jobId, state: 'tmp', dir: tmp.dir } },
    );
  const last = found.at(-1);
  if (!last)
    return new ImkError('JOB_NOT_FOUND', `no job ${jobId} in ${queueDir}`, { details: { job_id: jobId } });
  // "has succeeded / failed already", but "was rejected / cancelled already" (not "has rejected").
  const done =
    last.state === 'cancelled' || last.state === 'rejected'
      ? `was ${last.state} already`
      : `has ${last.state} already`;
  return new ImkError(
    'JOB_NOT_CANCELLABLE',
    `job ${jobId} ${done} (${last.dir}); only a ready or running job can be cancelled`,
    { details: { job_id: jobId, state: last.state, dir: last.dir } },
  );
}

/** Takes a ready folder (a rename to a claim of ours) and archives it as cancelled; undefined when someone took it first. */
async function cancelReady(
  queueDir: string,
  jobId: string,
  request: (token: string) => CancelRequest,
  by: string,
): Promise<CancelOutcome | undefined> {
  const token = `cancel.${randomBytes(4).toString('hex')}`;
  const held = join(queueDir, CLAIMED_DIR, tokenName(jobId, token));
  await mkdir(join(queueDir, CLAIMED_DIR), { recursive: true });
  try {
    await rename(join(queueDir, readyName(jobId)), held);
  } catch (error) {
    // Claimed by a worker first (ENOENT), or an ambiguous error: ours exactly when our target exists.
    if (!(await pathExists(held))) {
      if (isAbsentErrno(error)) return undefined;
      throw error;
    }
  }
  // The request first: should we stop here, the observer that expires this claim honours it.
  const asked = request(token);
  await writeCancelRequest(held, asked);
  const dir = await archiveCancelled(queueDir, held, jobId, token, {
    was: 'ready',
    attempt: await readAttempts(held),
    consumer: by,
  });
  if (dir === undefined) return undefined;
  return { jobId, state: 'cancelled', dir, message: cancelMessage(by, asked.reason, { was: 'ready' }) };
}

/** Puts the request into a claimed folder; undefined when the folder moved on meanwhile. */
async function requestCancel(dir: string, request: CancelRequest): Promise<CancelOutcome | undefined> {
  try {
    await writeCancelRequest(dir, request);
  } catch (error) {
    if (isAbsentErrno(error)) return undefined;
    throw error;
  }
  return { jobId: request.job_id, state: 'requested', dir };
}

/**
 * Waits until the holder of a claimed folder that got a cancel request has settled it, and says where the
 * job went: `cancelled` (with the archive), another state when it finished first (then that folder), or
 * `requested` when the holder has not acted within `timeoutMs` (a ready folder that still holds the
 * request is cancelled when next claimed).
 */
export async function waitForCancel(
  queueDir: string,
  claimDir: string,
  timeoutMs: number,
  pollMs = 100,
): Promise<{ state: string; dir: string }> {
  const parsed = parseTokenName(basename(claimDir));
  if (!parsed) throw new ImkError('NOT_A_CLAIM', `${claimDir} is not a claimed job folder`);
  const until = performance.now() + timeoutMs;
  while ((await pathExists(claimDir)) && performance.now() < until) await sleep(pollMs);
  if (await pathExists(claimDir)) return { state: 'requested', dir: claimDir };
  const { jobId, token } = parsed;
  // The holder archives under job_<id>, or job_<id>@<its token> when that name was taken.
  for (const name of [readyName(jobId), tokenName(jobId, token)]) {
    const dir = join(queueDir, CANCELLED_DIR, name);
    if ((await tokenIn(join(dir, CANCEL_FILE))) === token) return { state: 'cancelled', dir };
  }
  const found = await findJobFolders(queueDir, jobId);
  // Released to ready (shutdown) with the request inside: it is cancelled when next claimed.
  const ready = found.find((entry) => entry.state === 'ready');
  if (ready) return { state: 'requested', dir: ready.dir };
  return (
    found.find((entry) => entry.state === 'claimed') ?? found.at(-1) ?? { state: 'unknown', dir: claimDir }
  );
}
