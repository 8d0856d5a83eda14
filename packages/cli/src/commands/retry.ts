import { join } from 'node:path';
import type { Command } from 'commander';
import { ImkError } from '@imk/errors';
import { retryFailed } from '@imk/fsqueue';
import { openLedger } from '@imk/ledger';
import { contextFrom, print, withRoot } from '../context.ts';
import { locateJob } from './job.ts';

export function registerRetry(program: Command): void {
  withRoot(
    program
      .command('retry')
      .argument('<id>', 'id of a failed or cancelled job')
      .description(
        'move a failed or cancelled job back to ready, with a fresh attempt count (its last error or cancel reason is kept)',
      ),
  ).action(async (id: string, options: { root?: string }) => {
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
  });
}
