import { basename, dirname } from 'node:path';
import type { ImkError } from '@imk/errors';
import { findOutput, isBeingReplaced, jobFolderIdentity } from '@imk/protocol';
import { errorCode, syncError } from './errors.ts';
import type { PlannedTransfer } from './plan.ts';

/** The transfer's job folder as it is now (jobFolderIdentity): taken as an attempt begins. */
export function lookAtJob(transfer: PlannedTransfer): Promise<string | undefined> {
  return jobFolderIdentity(dirname(transfer.jobDir), basename(transfer.jobDir));
}

/**
 * A source-side failure (LOCAL_MISMATCH: the artifact missing, of another size, not a file; or its job
 * folder not there) of a transfer whose job was published again (a mix of it saved, the job run again)
 * during the attempt (its job folder is not the one `before` saw) or since the plan read its manifest
 * (manifest.json is not the one of the plan: another mtime): the worker's two renames, or a plan made from
 * the outputs they replaced, not a job folder that no longer matches its manifest. Retried
 * (JOB_PUBLISHED_AGAIN), and the next plan sends the new outputs; failing it for good left the artifact
 * unsent until `imk sync retry`. Undefined for any other failure, for a job folder unchanged since (files
 * deleted or edited by hand: LOCAL_MISMATCH), and for a job folder not there and not being replaced (the
 * job removed).
 */
export async function publishedAgainError(
  transfer: PlannedTransfer,
  before: string | undefined,
  error: unknown,
): Promise<ImkError | undefined> {
  // The job folder not there as the attempt looked (assertInsideJob's realpath): moved aside, or removed.
  const folderAway =
    (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' &&
    (error as NodeJS.ErrnoException).path === transfer.jobDir;
  if (errorCode(error) !== 'LOCAL_MISMATCH' && !folderAway) return undefined;
  const [outputsDir, jobName] = [dirname(transfer.jobDir), basename(transfer.jobDir)];
  const now = await lookAtJob(transfer);
  if (now === undefined) {
    // Not there: between the worker's two renames, or the job removed (its own error stands).
    // (Looked at again after: a folder renamed in meanwhile was being replaced.)
    const replacing =
      (await isBeingReplaced(outputsDir, jobName)) || (await lookAtJob(transfer)) !== undefined;
    if (!replacing) return undefined;
  } else {
    const manifest = await findOutput(outputsDir, jobName);
    const samePlan = transfer.recordedMs === undefined || manifest?.writtenMs === transfer.recordedMs;
    if (now === before && samePlan) return undefined;
  }
  return syncError(
    'JOB_PUBLISHED_AGAIN',
    `outputs/${transfer.jobId}/ was published again (a mix saved, or the job run again) while ${transfer.artifact.path} was being sent; it is sent again from the job's new outputs`,
    { details: { cause: (error as Error).message } },
  );
}
