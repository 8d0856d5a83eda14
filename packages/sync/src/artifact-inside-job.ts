import { realpath } from 'node:fs/promises';
import { relative } from 'node:path';
import { isImkError } from '@imk/errors';
import { resolveInside } from '@imk/fs-safe';
import { syncError } from './errors.ts';
import type { PlannedTransfer } from './plan.ts';

/**
 * Refuses to send an artifact that is not a file inside its job folder (a link out of it, a file its manifest
 * lists but deleted by hand): checked just before each transfer, by the same check serving makes.
 */
export async function assertInsideJob(transfer: PlannedTransfer): Promise<void> {
  // A symlink in an output folder must not send some other file of this host to the NAS. The one check of
  // every component (fs-safe resolveInside) that serving makes and `imk job` and the dashboard show.
  // A job folder gone altogether is its job removed meanwhile: this error is retried, and the next plan
  // drops it.
  await realpath(transfer.jobDir);
  try {
    await resolveInside(transfer.jobDir, relative(transfer.jobDir, transfer.localPath), {
      rootName: 'its job folder',
    });
  } catch (error) {
    // The job folder is there but the file its manifest lists is not (deleted by hand): the folder no
    // longer matches its manifest, as a file of another size or sha256 does. Failed for good (exit code 2,
    // imk sync status says why) instead of ENOENT retried with backoff pass after pass.
    if (isImkError(error, 'FILE_MISSING'))
      throw syncError(
        'LOCAL_MISMATCH',
        `artifact ${transfer.localPath} is listed in its manifest but is not in its job folder; the job folder changed after its manifest was written (put the file back, or run the job again; then imk sync retry ${transfer.jobId})`,
        { cause: error },
      );
    if (isImkError(error, 'PATH_OUTSIDE'))
      throw syncError(
        'LOCAL_MISMATCH',
        `artifact ${transfer.localPath} links outside its job folder; it is not sent`,
        { cause: error },
      );
    throw error;
  }
}
