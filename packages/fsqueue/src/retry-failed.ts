import { randomBytes } from 'node:crypto';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ImkError } from '@imk/errors';
import { fsyncDir } from '@imk/fs-safe';
import { readBundleState, writeBundleState } from './bundle-state.ts';
import { findJobFolders, type QueueEntry } from './find-job.ts';
import { moveOwned, tokenIn } from './moves.ts';
import { CANCEL_FILE, CANCEL_REQUEST_FILE, ERROR_FILE, STATE_FILE, readyName } from './names.ts';
import './errors.ts';

/** Where the error of the run before an `imk retry` is kept inside the bundle. */
export const PREVIOUS_ERROR_FILE = 'imk-error.previous.json';

/** Where the reason of a cancel before an `imk retry` is kept inside the bundle. */
export const PREVIOUS_CANCEL_FILE = 'imk-cancel.previous.json';

/**
 * Moves a failed or cancelled job back to ready for `imk retry`: its attempt count starts again from
 * zero, and its error (or cancel) file is kept as imk-error.previous.json (imk-cancel.previous.json).
 * Refused when the job is ready or claimed already. When it has both, the newer archive comes back.
 */
export async function retryFailed(queueDir: string, jobId: string): Promise<QueueEntry> {
  const found = await findJobFolders(queueDir, jobId);
  const active = found.find(
    (entry) => entry.state === 'ready' || entry.state === 'claimed' || entry.state === 'tmp',
  );
  if (active)
    throw new ImkError(
      'JOB_ACTIVE',
      `job ${jobId} is ${active.state} already (${active.dir}); nothing to retry`,
      {
        details: { job_id: jobId, state: active.state, dir: active.dir },
      },
    );
  const failed = await newest(
    found.filter((entry) => entry.state === 'failed' || entry.state === 'cancelled'),
  );
  if (!failed) {
    const where = found.map((entry) => entry.state).join(', ') || 'nowhere';
    throw new ImkError(
      'JOB_NOT_FAILED',
      `job ${jobId} has no failed or cancelled archive in ${queueDir} (found: ${where})`,
      {
        details: { job_id: jobId },
      },
    );
  }
  const token = `retry.${randomBytes(4).toString('hex')}`;
  const state = await readBundleState(failed.dir);
  await rename(join(failed.dir, ERROR_FILE), join(failed.dir, PREVIOUS_ERROR_FILE)).catch(() => undefined);
  await rename(join(failed.dir, CANCEL_FILE), join(failed.dir, PREVIOUS_CANCEL_FILE)).catch(() => undefined);
  // A request that arrived too late (the job had finished) must not cancel the retried job.
  await rm(join(failed.dir, CANCEL_REQUEST_FILE), { force: true });
  await writeBundleState(failed.dir, {
    attempts: 0,
    ...(state.last_error && { last_error: state.last_error }),
    token,
  });
  const ready = join(queueDir, readyName(jobId));
  const moved = await moveOwned(
    failed.dir,
    ready,
    async (to) => (await tokenIn(join(to, STATE_FILE))) === token,
  );
  if (!moved)
    throw new ImkError('JOB_MOVED', `job ${jobId} was moved by someone else while retrying; look again`);
  await fsyncDir(queueDir);
  return { jobId, state: 'ready', dir: ready, attempts: 0 };
}

/** The archive folder renamed into place last (its ctime), or undefined for none. */
async function newest(
  entries: { state: string; dir: string }[],
): Promise<{ state: string; dir: string } | undefined> {
  let best: { entry: { state: string; dir: string }; at: number } | undefined;
  for (const entry of entries) {
    const at = (await stat(entry.dir).catch(() => undefined))?.ctimeMs ?? 0;
    if (!best || at > best.at) best = { entry, at };
  }
  return best?.entry;
}
