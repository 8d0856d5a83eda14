import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { findJobFolders } from './find-job.ts';
import { listQueueNames } from './inspect.ts';
import type { JobState } from './names.ts';

/** A folder of one job id in another queue of the same root. */
export interface HeldElsewhere {
  /** The other queue's name (its folder beside this one). */
  queue: string;
  state: JobState;
  dir: string;
}

/**
 * The first folder of `jobId`, in one of `states`, in another queue of the same root: the queues are the
 * folders beside `queueDir` (a link to this very queue is not another). A job id names one job across every
 * queue, as its outputs are `outputs/<job_id>/` whatever the queue: two jobs of one id in two queues both
 * ran, and the second run moved the first one's outputs aside. A listing of the queues folder, and of each
 * other queue's claimed/ and archives (findJobFolders: a job kept only as `job_<id>@<token>` counts too).
 */
export async function heldElsewhere(
  queueDir: string,
  jobId: string,
  states: readonly JobState[],
): Promise<HeldElsewhere | undefined> {
  const queuesDir = dirname(queueDir);
  const own = await stat(queueDir).catch(() => undefined);
  for (const queue of await listQueueNames(queuesDir)) {
    if (queue === basename(queueDir)) continue;
    const dir = join(queuesDir, queue);
    const info = await stat(dir).catch(() => undefined);
    if (info === undefined || (own !== undefined && info.dev === own.dev && info.ino === own.ino)) continue;
    const found = (await findJobFolders(dir, jobId)).find((folder) => states.includes(folder.state));
    if (found) return { queue, ...found };
  }
  return undefined;
}

/** The states of another queue's job that mean it ran, or runs now: its outputs are outputs/<job_id>/. */
const RAN_STATES: readonly JobState[] = ['claimed', 'succeeded', 'failed', 'cancelled'];

/**
 * Why a claimed bundle is rejected when another queue's job of its id ran or runs now (the claim is the
 * last gate: a bundle copied in by hand, a producer of another program, two publishes at one instant), or
 * undefined. Another queue's ready bundle of the id does not count: of two waiting, the first claimed
 * runs and the other is then rejected, never both. Two claimed at one instant are both rejected: nothing
 * is overwritten, and both bundles are kept in rejected/ with the reason.
 */
export async function idTakenProblem(
  queueDir: string,
  jobId: string,
): Promise<{ path: string; message: string } | undefined> {
  const other = await heldElsewhere(queueDir, jobId, RAN_STATES);
  if (other === undefined) return undefined;
  const did = other.state === 'claimed' ? 'is being processed' : `ran (${other.state})`;
  return {
    path: 'job_id',
    message: `job id "${jobId}" is taken: the job of that id in queue ${other.queue} ${did} (${other.dir}), and a job id names one job across every queue (its outputs are outputs/${jobId}/); publish this bundle again under another job id`,
  };
}
