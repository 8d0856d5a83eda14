import { join } from 'node:path';
import type { ImkPaths } from '@imk/config';
import { ImkError, refuseHopelessRetry } from '@imk/errors';
import { retryFailed } from '@imk/fsqueue';
import type { Ledger } from '@imk/ledger';
import type { RetryJob } from '../context.ts';
import { findFolderJob } from './queue-folders.ts';

/**
 * Retry as `imk retry` does it: the failed (or cancelled) archive goes back to ready in its own queue (attempts from
 * zero, the old error kept as imk-error.previous.json), and the ledger records the change.
 */
export function createRetry(paths: ImkPaths, ledger: () => Ledger | undefined): RetryJob {
  return async (jobId) => {
    const failed = (await findFolderJob(paths.queues, jobId))
      .filter((f) => f.state === 'failed' || f.state === 'cancelled')
      .at(-1);
    if (!failed)
      throw new ImkError(
        'JOB_NOT_FOUND',
        `job ${jobId} has no failed archive in any queue; only failed or cancelled jobs can be retried`,
      );
    if (failed.state === 'failed')
      refuseHopelessRetry(jobId, ledger()?.getJob(jobId)?.errors.at(-1)?.code ?? undefined);
    const entry = await retryFailed(join(paths.queues, failed.queue), jobId);
    ledger()?.recordState(
      jobId,
      { state: 'ready', attempt: 0, message: 'retry asked from the dashboard' },
      { queue: failed.queue },
    );
    return { queue: failed.queue, state: entry.state };
  };
}
