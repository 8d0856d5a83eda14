import { ImkError } from '@imk/errors';
import { basename, dirname, join } from 'node:path';
import { findJobFolders } from './find-job.ts';
import { heldElsewhere } from './job-id-elsewhere.ts';
import { JOB_STATES, type JobState } from './names.ts';
import './errors.ts';

/** Throws JOB_EXISTS when this job id is taken, in this queue or in another one of the root. */
export async function ensureNew(queueDir: string, jobId: string): Promise<void> {
  const found = await existingJob(queueDir, jobId);
  if (found) throw found;
}

/**
 * The JOB_EXISTS error publishBundle would throw for this job id (queued, running, done, failed: what
 * it is and what to do), or undefined while the id is free. A producer asks before it downloads: a
 * video that two subscriptions list was downloaded a second time only to be refused at publish.
 * Another queue of the root holding the id takes it too (in any state but being written, whose producer
 * is told at its own rename, and the worker's claim is the last gate): two retrievers that published one
 * id into two queues both succeeded, and the worker replaced the first job's outputs with the second's.
 */
export async function existingJob(queueDir: string, jobId: string): Promise<ImkError | undefined> {
  const first = (await findJobFolders(queueDir, jobId)).find((found) => found.state !== 'tmp');
  if (first) return jobExists(queueDir, jobId, first.state, first.dir);
  const other = await heldElsewhere(queueDir, jobId, PUBLISHED_STATES);
  return other && jobExists(queueDir, jobId, other.state, other.dir, other.queue);
}

/** Every state but being written. */
const PUBLISHED_STATES = JOB_STATES.filter((state) => state !== 'tmp');

/** JOB_EXISTS for a folder of this id: in this queue, or in the queue named `otherQueue`. */
export function jobExists(
  queueDir: string,
  jobId: string,
  state: JobState,
  dir: string,
  otherQueue?: string,
): ImkError {
  const where =
    otherQueue === undefined
      ? ''
      : ` in queue ${otherQueue} (a job id names one job across every queue, not only in ${basename(queueDir)}: its outputs are outputs/${jobId}/ whatever the queue)`;
  return new ImkError('JOB_EXISTS', `job ${jobId}${where} ${existing(state, jobId)}: ${dir}`, {
    details: {
      job_id: jobId,
      state,
      dir,
      queue: otherQueue === undefined ? queueDir : join(dirname(queueDir), otherQueue),
    },
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
