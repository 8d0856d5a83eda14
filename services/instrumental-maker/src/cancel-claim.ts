import { basename, dirname } from 'node:path';
import type { Claim } from '@imk/fsqueue';
import type { WorkerContext } from './context.ts';
import { describeFailure } from './failures.ts';
import type { JobOutcome } from './process-job.ts';
import type { StageRunner } from './stage-runner.ts';

/**
 * A job whose cancel was asked for (`imk cancel`, the dashboard) and that stopped at its abort signal:
 * its claim is archived as cancelled, with the stage it was stopped in, and the ledger says who asked and why.
 */
export async function cancelClaim(
  ctx: WorkerContext,
  claim: Claim,
  stages: StageRunner,
  logger: WorkerContext['logger'],
  /** Output folders of this job renamed into place before the cancel (songs of a bundle): kept, said. */
  published: string[] = [],
): Promise<JobOutcome> {
  const { jobId, attempt } = claim;
  const base = { jobId, queue: basename(dirname(dirname(claim.dir))), attempt, stage: stages.current };
  const consumer = ctx.consumerId;
  try {
    const request = await claim.cancel(stages.current, published);
    const by = request?.requested_by ?? 'unknown';
    const kept = published.length > 0 ? `; published before the cancel, kept: ${published.join(', ')}` : '';
    const message = `cancelled by ${by} in stage ${stages.current}: ${request?.reason ?? '(no reason given)'}${kept}`;
    ctx.ledger.recordState(jobId, { state: 'cancelled', attempt, consumer, stage: stages.current, message });
    logger.info(
      { stage: stages.current, by, reason: request?.reason, published },
      published.length > 0
        ? 'job cancelled; what it had published is kept'
        : 'job cancelled; nothing published',
    );
    return { ...base, status: 'cancelled', message };
  } catch (error) {
    const why = describeFailure(error).message;
    ctx.ledger.recordState(jobId, {
      state: 'released',
      attempt,
      consumer,
      stage: stages.current,
      message: `cancelled, but could not archive: ${why}`,
    });
    logger.error(
      { err: why },
      'could not archive the cancelled job; an observer will when its lease expires',
    );
    return { ...base, status: 'lost', message: why };
  }
}
