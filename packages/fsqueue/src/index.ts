export { existingJob, publishBundle } from './publish.ts';
export type { BundleFileInput, PublishBundleOptions, PublishedBundle } from './publish.ts';
export {
  createQueue,
  DEFAULT_LEASE_MS,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_POLL_MS,
  DEFAULT_TMP_MAX_AGE_MS,
} from './queue.ts';
export type {
  Claim,
  ClaimWait,
  FailInfo,
  ReleaseOptions,
  NamedQueueCounts,
  Queue,
  QueueCounts,
  QueueOptions,
  RejectProblem,
} from './types.ts';
export { defaultConsumerId } from './context.ts';
export { findJob, findJobFolders } from './find-job.ts';
export type { QueueEntry } from './find-job.ts';
export { retryFailed, PREVIOUS_CANCEL_FILE, PREVIOUS_ERROR_FILE } from './retry-failed.ts';
export { CANCEL_REASON_MAX, cancelJob, cancelReason, waitForCancel } from './cancel.ts';
export type { CancelJobOptions, CancelOutcome } from './cancel.ts';
export type { CancelRequest } from './cancel-archive.ts';
export { countJobs, countQueues, listClaimHolders, listQueueJobs, listQueueNames } from './inspect.ts';
export type { ListQueueJobsOptions, NotFolderListener } from './inspect.ts';
export { listRejected, readRejection } from './rejected.ts';
export { readArchiveOutcome, readArchiveReason } from './outcome.ts';
export type { ArchiveOutcome } from './outcome.ts';
export type { RejectedFolder, Rejection } from './rejected.ts';
export { readBundleState } from './bundle-state.ts';
export type { BundleState, BundleWait } from './bundle-state.ts';
export {
  ARCHIVE_DIRS,
  CANCEL_FILE,
  CANCEL_REQUEST_FILE,
  PRODUCER_FILE,
  CANCELLED_DIR,
  CLAIMED_DIR,
  CLOCK_CHECK_PREFIX,
  ERROR_FILE,
  FAILED_DIR,
  JOB_STATES,
  LEASE_FILE,
  READY_PREFIX,
  REJECTED_DIR,
  REJECTION_FILE,
  RESULT_FILE,
  STATE_FILE,
  SUCCEEDED_DIR,
  TMP_SUFFIX,
  archivedJobId,
  isProducerTempName,
  isQueueFileName,
  parseReadyName,
  parseTokenName,
  readyName,
  tmpName,
} from './names.ts';
export type { JobState } from './names.ts';
export { FSQUEUE_ERRORS } from './errors.ts';
export { pruneJobIdOwners } from './job-id-prune.ts';
export type { PrunedJobIdOwners } from './job-id-prune.ts';
