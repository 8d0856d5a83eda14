import { errorMessage } from '@imk/errors';
import { listRejected, readRejection, type Rejection } from '@imk/fsqueue';
import type { Ledger } from '@imk/ledger';
import type { Logger } from '@imk/log';

/**
 * The queue rejects invalid bundles inside claim(), so the worker never holds them. This notes each
 * rejected bundle in the ledger (state `rejected`, with the problems from imk-rejection.json) so that
 * `imk jobs` and the dashboard show it: `note` is each queue's `onReject` hook, and `catchUp` notes, at
 * start-up, bundles rejected while no worker of this ledger ran. A rejected bundle is a job that failed
 * for good, so `onRejected` hears of each one once.
 */
export function createRejectionRecorder(
  ledger: () => Ledger | undefined,
  logger: Logger,
  /** Told once per rejected bundle, when the ledger first notes it (the worker sends `job.failed`). */
  onRejected?: (rejection: Rejection, message: string) => void,
) {
  function note(queue: string, rejection: Rejection): void {
    const target = ledger();
    if (target === undefined) return;
    const message = rejection.reason;
    target.recordState(rejection.jobId, { state: 'rejected', stage: 'validate', message }, { queue });
    target.recordError(rejection.jobId, { stage: 'validate', message, code: 'BUNDLE_REJECTED' });
    onRejected?.(rejection, message);
  }

  async function catchUp(queue: string, queueDir: string): Promise<void> {
    const target = ledger();
    if (target === undefined) return;
    try {
      for (const folder of await listRejected(queueDir)) {
        if (target.getJob(folder.jobId)?.job.state === 'rejected') continue;
        note(queue, await readRejection(folder));
      }
    } catch (error) {
      logger.warn({ queue, err: errorMessage(error) }, 'noting rejected bundles in the ledger failed');
    }
  }

  return { note, catchUp };
}

export type RejectionRecorder = ReturnType<typeof createRejectionRecorder>;
