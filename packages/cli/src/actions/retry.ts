import { join } from 'node:path';
import { ImkError } from '@imk/errors';
import { retryFailed } from '@imk/fsqueue';
import { openLedger } from '@imk/ledger';
import { contextFrom, print } from '../context.ts';
import { locateJob } from './job.ts';

/** `imk retry <id>` */
export async function retryCommand(id: string, options: { root?: string }): Promise<void> {
  const { paths } = contextFrom(options);
  const found = await locateJob(paths.queues, id);
  if (!found) throw new ImkError('JOB_NOT_FOUND', `no job "${id}" in any queue under ${paths.queues}`);
  const entry = await retryFailed(join(paths.queues, found.queue), id);
  const ledger = openLedger({ root: paths.root });
  try {
    ledger.recordState(
      id,
      { state: 'ready', attempt: 0, message: 'retried by operator (imk retry)' },
      { queue: found.queue },
    );
  } finally {
    ledger.close();
  }
  print(`job ${id} is ready again in ${entry.dir}`);
}
