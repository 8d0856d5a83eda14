import { errorMessage } from '@imk/errors';
import type { Ledger } from '@imk/ledger';
import type { Logger } from '@imk/log';

/**
 * The ledger as the worker uses it: a failed ledger write (disk full, a lock held too long) is logged and
 * never fails a job, because the folders are the truth and `imk ledger rebuild` restores the ledger.
 */
export function createSafeLedger(ledger: Ledger, logger: Logger): Ledger {
  let warned = 0;
  const guard =
    <A extends unknown[], R>(name: string, fn: (...args: A) => R, fallback: R) =>
    (...args: A): R => {
      try {
        return fn(...args);
      } catch (error) {
        // One warning per hundred failures: a broken ledger must not flood the log.
        if (warned++ % 100 === 0)
          logger.warn({ err: errorMessage(error), call: name }, 'job ledger write failed (the job goes on)');
        return fallback;
      }
    };
  return {
    file: ledger.file,
    db: ledger.db,
    upsertJob: guard('upsertJob', ledger.upsertJob.bind(ledger), undefined),
    recordState: guard('recordState', ledger.recordState.bind(ledger), undefined),
    recordStage: guard('recordStage', ledger.recordStage.bind(ledger), undefined),
    recordError: guard('recordError', ledger.recordError.bind(ledger), undefined),
    recordArtifacts: guard('recordArtifacts', ledger.recordArtifacts.bind(ledger), undefined),
    setProgress: guard('setProgress', ledger.setProgress.bind(ledger), false),
    clearProgress: guard('clearProgress', ledger.clearProgress.bind(ledger), undefined),
    readProgress: guard('readProgress', ledger.readProgress.bind(ledger), []),
    listJobs: guard('listJobs', ledger.listJobs.bind(ledger), []),
    countJobs: guard('countJobs', ledger.countJobs.bind(ledger), 0),
    knownJobIds: guard('knownJobIds', ledger.knownJobIds.bind(ledger), new Set<string>()),
    listJobsById: guard('listJobsById', ledger.listJobsById.bind(ledger), []),
    getJob: guard('getJob', ledger.getJob.bind(ledger), undefined),
    findSucceededByInput: guard('findSucceededByInput', ledger.findSucceededByInput.bind(ledger), undefined),
    listSucceededByInput: guard('listSucceededByInput', ledger.listSucceededByInput.bind(ledger), []),
    close: () => ledger.close(),
  };
}
