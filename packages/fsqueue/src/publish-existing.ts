import { ImkError } from '@imk/errors';
import { findJobFolders } from './find-job.ts';
import type { JobState } from './names.ts';
import './errors.ts';

export async function ensureNew(queueDir: string, jobId: string): Promise<void> {
  const found = await existingJob(queueDir, jobId);
  if (found) throw found;
}

/**
 * The JOB_EXISTS error publishBundle would throw for this job id (queued, running, done, failed: what
 * it is and what to do), or undefined while the id is free. A producer asks before it downloads: a
 * video that two subscriptions list was downloaded a second time only to be refused at publish.
 */
export async function existingJob(queueDir: string, jobId: string): Promise<ImkError | undefined> {
  const first = (await findJobFolders(queueDir, jobId)).find((found) => found.state !== 'tmp');
  return first && jobExists(queueDir, jobId, first.state, first.dir);
}

export function jobExists(queueDir: string, jobId: string, state: JobState, dir: string): ImkError {
  return new ImkError('JOB_EXISTS', `job ${jobId} ${existing(state, jobId)}: ${dir}`, {
    details: { job_id: jobId, state, dir, queue: queueDir },
  });
}

/**
 * What the folder already there means, and what the user can do: `imk retry` takes only failed and
 * cancelled jobs (suggesting it for the others sent users to a command that refused).
 */
function existing(state: JobState, jobId: string): string {
  switch (state) {
    case 'tmp':
      return 'is being published by another producer';
    case 'ready':
      return 'is already queued and waits for a worker';
    case 'claimed':
      return 'is being processed now';
    case 'succeeded':
      return `was already processed (its outputs are in outputs/${jobId}); to process it again, choose another job id`;
    case 'failed':
      return `failed earlier (the reason is in imk-error.json); \`imk retry ${jobId}\` runs it again`;
    case 'cancelled':
      return `was cancelled; \`imk retry ${jobId}\` runs it again`;
    case 'rejected':
      return 'was rejected as invalid (the reason is in imk-rejection.json); fix it and choose another job id';
  }
}
