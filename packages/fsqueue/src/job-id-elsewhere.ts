import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { findJobFolders } from './find-job.ts';
import { listQueueNames } from './inspect.ts';
import { takeJobId } from './job-id-owner.ts';
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

/**
 * The archived states of another queue's job that mean it ran: its outputs are outputs/<job_id>/. A job
 * running now in another queue is the owner file's to say (job-id-owner.ts), not its claimed/ folder's.
 */
const RAN_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];

/**
 * Why a claimed bundle is rejected when its job id belongs to another queue, or undefined when this claim
 * may run it (the claim is the last gate: a bundle copied in by hand, a producer of another program, two
 * publishes at one instant). The owner file decides, atomically across hosts: of two bundles of one id
 * claimed at one instant in two queues, one runs and the other is rejected naming it (looking at each
 * other's claimed/ folders rejected both). Then a job that ran in another queue before owner files existed
 * (an archive of an earlier version) takes the id too. Another queue's ready bundle of the id that was
 * never claimed does not count: of two waiting, the first claimed runs and the other is then rejected.
 */
export async function idTakenProblem(
  queueDir: string,
  jobId: string,
  claim: { token: string; consumer: string },
): Promise<{ path: string; message: string } | undefined> {
  const other =
    (await takeJobId(queueDir, jobId, claim.token, claim.consumer)) ??
    (await heldElsewhere(queueDir, jobId, RAN_STATES));
  if (other === undefined) return undefined;
  return {
    path: 'job_id',
    message: `job id "${jobId}" is taken: the job of that id in queue ${other.queue} ${whatItDid(other.state)} (${other.dir}), and a job id names one job across every queue (its outputs are outputs/${jobId}/); publish this bundle again under another job id`,
  };
}

function whatItDid(state: JobState): string {
  if (state === 'claimed') return 'is being processed';
  if (state === 'ready') return 'was claimed there and waits to run again';
  return `ran (${state})`;
}
