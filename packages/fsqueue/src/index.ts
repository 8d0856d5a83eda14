export { publishBundle } from './publish.ts';
export type { BundleFileInput, PublishBundleOptions, PublishedBundle } from './publish.ts';
export { findJob, findJobFolders } from './find-job.ts';
export type { QueueEntry } from './find-job.ts';
export {
  ARCHIVE_DIRS,
  CLAIMED_DIR,
  ERROR_FILE,
  FAILED_DIR,
  JOB_STATES,
  LEASE_FILE,
  REJECTED_DIR,
  REJECTION_FILE,
  RESULT_FILE,
  STATE_FILE,
  SUCCEEDED_DIR,
  parseReadyName,
  parseTokenName,
  readyName,
  tmpName,
} from './names.ts';
export type { JobState } from './names.ts';
