import { join } from 'node:path';
import { ImkError, retryAdviceOf } from '@imk/errors';
import { retryFailed } from '@imk/fsqueue';
import { openLedger } from '@imk/ledger';
import { contextFrom, print } from '../context.ts';
import { loadAllServices } from '../services.ts';
import { locateJob } from './job.ts';

/** `imk retry <id>` */
export async function retryCommand(id: string, options: { root?: string }): Promise<void> {
  const { paths } = contextFrom(options);
  const found = await locateJob(paths.queues, id);
  if (!found) throw new ImkError('JOB_NOT_FOUND', `no job "${id}" in any queue under ${paths.queues}`);
  // Every service's error codes, for the last error's policy (retryAdviceOf).
  await loadAllServices();
  const ledger = openLedger({ root: paths.root });
  try {
    // A person at the command line is told when the last error fails the same way on every try, and is
    // obeyed: they may have put a good copy of the file into the failed bundle (the dashboard, for anyone,
    // offers no Retry then: services/web/src/system/retry.ts).
    const { canRetry, advice } =
      found.state === 'failed'
        ? retryAdviceOf(ledger.getJob(id)?.errors.at(-1)?.code ?? undefined)
        : { canRetry: true, advice: undefined };
    const entry = await retryFailed(join(paths.queues, found.queue), id);
    if (!canRetry)
      process.stderr.write(
        `warning: ${advice ?? ''} Retried as asked: it runs with the files now in its bundle.\n`,
      );
    ledger.recordState(
      id,
      { state: 'ready', attempt: 0, message: 'retried by operator (imk retry)' },
      { queue: found.queue },
    );
    print(`job ${id} is ready again in ${entry.dir}`);
  } finally {
    ledger.close();
  }
}
