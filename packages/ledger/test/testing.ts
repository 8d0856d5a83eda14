// What tests of the ledger's readers share (`@imk/ledger/testing`).
import { openLedger } from '../src/index.ts';

/**
 * Records in the ledger under `root` that job `jobId` ran once in queue `other` and failed for good with
 * error `code`, as the worker records a failure (running, the error with its code, failed).
 */
export function recordFailure(root: string, jobId: string, code: string): void {
  const ledger = openLedger({ root });
  try {
    ledger.recordState(jobId, { state: 'running', attempt: 1 }, { queue: 'other' });
    ledger.recordError(jobId, {
      stage: 'decode',
      message: `it failed [${code}]`,
      attempt: 1,
      code,
      retryable: false,
    });
    ledger.recordState(jobId, { state: 'failed', attempt: 1, message: `it failed [${code}]` });
  } finally {
    ledger.close();
  }
}
