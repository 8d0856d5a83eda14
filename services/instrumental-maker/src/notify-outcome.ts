import { basename } from 'node:path';
import { jobEvent, type NotifierHandle } from '@imk/notify';
import type { JobOutcome } from './process-job.ts';

/**
 * Tells the notifier how a job ended: succeeded (also as a duplicate or resumed), or failed for good. A
 * retry, a release, a lost claim or a cancel (the user asked for it) is not news. Emitting only writes to the outbox and never throws, so a
 * notification can never fail a job.
 */
export function notifyOutcome(notifier: NotifierHandle, outcome: JobOutcome): void {
  const facts = { jobId: outcome.jobId, artist: outcome.artist, title: outcome.title };
  switch (outcome.status) {
    case 'succeeded':
    case 'duplicate':
    case 'resumed':
      // A mix saved from the page is published into the folder of the job it was made from.
      void notifier.emit(
        jobEvent('job.succeeded', {
          ...facts,
          ...(outcome.outputDir !== undefined && { outputFolder: basename(outcome.outputDir) }),
        }),
      );
      return;
    case 'failed':
      void notifier.emit(
        jobEvent('job.failed', {
          ...facts,
          reason: outcome.message,
          stage: outcome.stage,
          errorCode: outcome.errorCode,
        }),
      );
      return;
    case 'retry':
    case 'released':
    case 'lost':
    case 'cancelled':
      return;
  }
}

/**
 * A bundle the queue rejected as invalid never runs: for the person who asked for the song it is a job
 * that failed for good, said once (when the ledger first notes the rejection).
 */
export function notifyRejected(notifier: NotifierHandle, jobId: string, problems: string): void {
  void notifier.emit(
    jobEvent('job.failed', {
      jobId,
      stage: 'validate',
      errorCode: 'BUNDLE_REJECTED',
      reason: `the bundle is invalid and was set aside in rejected/: ${problems}`,
    }),
  );
}
