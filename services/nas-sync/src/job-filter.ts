import { resolvePaths } from '@imk/config';
import { ImkError } from '@imk/errors';
import { ReceiptStore, listCompleteJobs } from '@imk/sync';
import './errors.ts';

/**
 * Throws JOB_NOT_FOUND when `jobId` (a command's `--job`, or `imk sync retry <job>`) names no finished job of
 * outputs/ and no receipt: a mistyped id would else give "0 jobs" or an empty table, as if that job had
 * nothing to send. A job whose outputs retention removed is known by its receipts (its copies can be checked).
 */
export async function assertSyncJobKnown(root: string, jobId: string | undefined): Promise<void> {
  if (jobId === undefined) return;
  const paths = resolvePaths(root);
  const jobs = await listCompleteJobs(paths.outputs).catch(() => []);
  if (jobs.some((job) => job.jobId === jobId)) return;
  const receipts = ReceiptStore.open({ file: paths.receipts, readonly: true });
  try {
    if (receipts && [...receipts.all().values()].some((receipt) => receipt.jobId === jobId)) return;
  } finally {
    receipts?.close();
  }
  throw new ImkError(
    'JOB_NOT_FOUND',
    `no job "${jobId}" in ${paths.outputs} (a job appears there once it finished) and no delivery of it in ${paths.receipts}; check the id (imk sync status lists every job it knows)`,
    { details: { job_id: jobId } },
  );
}
