import { join } from 'node:path';
import type { ImkPaths } from '@imk/config';
import { ImkError } from '@imk/errors';
import { cancelJob } from '@imk/fsqueue';
import { recordQueuedCancel, type Ledger } from '@imk/ledger';
import type { CancelJob } from '../context.ts';
import { findFolderJob } from './queue-folders.ts';

/**
 * Cancel as `imk cancel` does it, without waiting: a queued job is archived in cancelled/ at once (and
 * the ledger says so); a running one gets a cancel request its worker (on any host) acts on within about
 * a second, recording the cancel itself. A finished, failed or unknown job is refused, naming it.
 */
export function createCancel(paths: ImkPaths, ledger: () => Ledger | undefined): CancelJob {
  return async (jobId, reason) => {
    const folders = await findFolderJob(paths.queues, jobId);
    const active = folders.find((f) => f.state === 'ready' || f.state === 'claimed') ?? folders.at(-1);
    if (!active)
      throw new ImkError(
        'JOB_NOT_FOUND',
        `no job ${jobId} in any queue; only a queued or running job can be cancelled`,
      );
    const outcomes = await cancelJob(join(paths.queues, active.queue), jobId, { reason, by: 'dashboard' });
    // The line `imk cancel` records too (imk-cancel.json's: who asked, and the reason), with the song's tags.
    const known = ledger();
    for (const outcome of outcomes)
      if (outcome.state === 'cancelled' && known) await recordQueuedCancel(known, outcome, active.queue);
    const running = outcomes.some((o) => o.state === 'requested');
    return { queue: active.queue, state: running ? 'cancel-requested' : 'cancelled' };
  };
}
