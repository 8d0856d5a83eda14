import { join } from 'node:path';
import { ImkError } from '@imk/errors';
import { cancelJob, waitForCancel, type CancelOutcome } from '@imk/fsqueue';
import { openLedger, recordQueuedCancel } from '@imk/ledger';
import { contextFrom, print } from '../context.ts';
import { locateJob } from './job.ts';
import '../errors.ts';

interface CancelOptions {
  root?: string;
  reason?: string;
  wait: string;
}

/** `imk cancel <id>` */
export async function cancelCommand(id: string, options: CancelOptions): Promise<void> {
  const { paths } = contextFrom(options);
  const waitSec = Number(options.wait);
  if (!Number.isFinite(waitSec) || waitSec < 0)
    throw new ImkError('INVALID_ARGUMENT', `--wait must be a number of seconds, got "${options.wait}"`);
  const found = await locateJob(paths.queues, id);
  if (!found) throw new ImkError('JOB_NOT_FOUND', `no job "${id}" in any queue under ${paths.queues}`);
  const queueDir = join(paths.queues, found.queue);
  const outcomes = await cancelJob(queueDir, id, { reason: options.reason, by: 'imk cancel' });
  for (const outcome of outcomes)
    print(await settle(queueDir, outcome, waitSec * 1000, paths.root, found.queue));
}

/** Says what became of one cancelled folder; a ready job's cancel goes into the ledger here (a worker records its own). */
async function settle(
  queueDir: string,
  outcome: CancelOutcome,
  waitMs: number,
  root: string,
  queue: string,
): Promise<string> {
  const { jobId } = outcome;
  if (outcome.state === 'cancelled') {
    const ledger = openLedger({ root });
    try {
      // The archive's own line (who, and the reason given) and the song's tags, as the dashboard records it.
      await recordQueuedCancel(ledger, outcome, queue);
    } finally {
      ledger.close();
    }
    return `job ${jobId} was queued; it is cancelled and kept in ${outcome.dir}`;
  }
  if (waitMs === 0)
    return `job ${jobId} is running; its worker was asked to stop it (it notices within about a second)`;
  const where = await waitForCancel(queueDir, outcome.dir, waitMs);
  if (where.state === 'cancelled')
    return `job ${jobId} was running; it is stopped, nothing was published, and it is kept in ${where.dir}`;
  if (where.state === 'requested')
    return `job ${jobId}: cancel requested (${where.dir}); its worker has not stopped it yet, it will when it next looks`;
  throw new ImkError(
    'CANCEL_TOO_LATE',
    `job ${jobId} ended as ${where.state} before its worker saw the cancel (${where.dir})`,
    { details: { job_id: jobId, state: where.state, dir: where.dir } },
  );
}
