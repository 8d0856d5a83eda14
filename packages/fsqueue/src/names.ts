import { JobIdSchema } from '@imk/protocol';
/**
 * Folder names of one queue. Ready bundles keep the legacy name `job_<id>/` at the top of the queue
 * folder; every other state is a sub-folder of the same queue folder, so a rename never crosses a mount.
 *
 *   job_<id>.tmp/                          a producer is writing (consumers never look inside)
 *   job_<id>/                              ready
 *   claimed/job_<id>@<token>/              claimed; <token> = <consumerId>.<nonce>, unique to one claim
 *   succeeded/job_<id>@<token>/            archived: done (imk-result.json inside)
 *   failed/job_<id>@<token>/               archived: failed (imk-error.json inside)
 *   rejected/job_<id>@<token>/             archived: invalid bundle (imk-rejection.json inside)
 *   cancelled/job_<id>@<token>/            archived: cancelled by an operator (imk-cancel.json inside)
 *   .imk-clock-check-<random>/             for a moment: "now" on the queue's file system's clock (its mtime)
 *
 * Beside the queue folders, in the folder that holds them (`queues/`), shared by every queue of the root:
 *
 *   .imk-job-ids/<id>@<n>                  which queue owns a job id (n = 1, 2, …: the highest is in force);
 *                                          made once by a claim (link(), atomic on NFS and SMB), never rewritten
 *
 * `@` can appear neither in a job id nor in a consumer id, so the job id is everything between `job_`
 * and the first `@`.
 */
export const READY_PREFIX = 'job_';
/**
 * A private folder (mkdtemp) the tmp sweeper makes at the top of a queue folder and removes at once: its
 * mtime is "now" on the clock that stamps the queue's files (hidden; no reader takes it for a bundle).
 */
export { CLOCK_CHECK_PREFIX } from '@imk/fs-safe';
export const TMP_SUFFIX = '.tmp';
export const CLAIMED_DIR = 'claimed';
export const SUCCEEDED_DIR = 'succeeded';
export const FAILED_DIR = 'failed';
export const REJECTED_DIR = 'rejected';
export const CANCELLED_DIR = 'cancelled';
export const ARCHIVE_DIRS = {
  succeeded: SUCCEEDED_DIR,
  failed: FAILED_DIR,
  rejected: REJECTED_DIR,
  cancelled: CANCELLED_DIR,
} as const;

/** What the name of every file the queue itself writes inside a bundle starts with. */
const QUEUE_FILE_PREFIX = 'imk-';

/** Whether a name at the top of a bundle is one of the queue's own files (never a file of the job). */
export function isQueueFileName(name: string): boolean {
  return name.startsWith(QUEUE_FILE_PREFIX);
}

/** Beside the queue folders (in `queues/`): one owner file per job id and generation (see job-id-owner.ts). */
export const JOB_ID_OWNERS_DIR = '.imk-job-ids';

/**
 * The temp file an owner file is written as before it is linked under its name (job-id-owner.ts linkNew):
 * `.new-<pid>-<random>` in JOB_ID_OWNERS_DIR, removed at once unless the process died between.
 */
export function jobIdOwnerTempName(pid: number, random: string): string {
  return `${JOB_ID_OWNER_TEMP_PREFIX}${pid}-${random}`;
}

/** Whether a name in JOB_ID_OWNERS_DIR is such a temp file (jobIdOwnerTempName). */
export function isJobIdOwnerTempName(name: string): boolean {
  return name.startsWith(JOB_ID_OWNER_TEMP_PREFIX);
}

const JOB_ID_OWNER_TEMP_PREFIX = '.new-';

/** The name of the n-th owner file of a job id (n = 1, 2, …), in JOB_ID_OWNERS_DIR. */
export function jobIdOwnerName(jobId: string, generation: number): string {
  return `${jobId}${TOKEN_SEPARATOR}${generation}`;
}

/** The job id and generation an owner file's name says (jobIdOwnerName), or undefined for any other name. */
export function parseJobIdOwnerName(name: string): { jobId: string; generation: number } | undefined {
  const at = name.indexOf(TOKEN_SEPARATOR);
  if (at <= 0) return undefined;
  const jobId = name.slice(0, at);
  const digits = name.slice(at + 1);
  if (!/^[1-9]\d{0,8}$/.test(digits) || !isSafeId(jobId)) return undefined;
  return { jobId, generation: Number(digits) };
}

/** Files the queue itself writes inside a bundle (never listed in `files[]`). */
export const LEASE_FILE = 'imk-lease';
export const STATE_FILE = 'imk-state.json';
export const RESULT_FILE = 'imk-result.json';
export const ERROR_FILE = 'imk-error.json';
export const REJECTION_FILE = 'imk-rejection.json';
/** Why and when a job was cancelled, beside the bundle in cancelled/. */
export const CANCEL_FILE = 'imk-cancel.json';
/**
 * Inside a `job_<id>.tmp/` folder while its producer writes it: `{"host", "pid"}`. A producer that finds the
 * folder left by a dead process of its own host takes it over; removed before the folder is renamed ready.
 */
export const PRODUCER_FILE = 'imk-producer.json';
/** Put into a claimed folder by `imk cancel` (any host): its holder stops the job and archives it as cancelled. */
export const CANCEL_REQUEST_FILE = 'imk-cancel-request.json';

export type JobState = 'tmp' | 'ready' | 'claimed' | 'succeeded' | 'failed' | 'rejected' | 'cancelled';
export const JOB_STATES: readonly JobState[] = [
  'tmp',
  'ready',
  'claimed',
  'succeeded',
  'failed',
  'rejected',
  'cancelled',
];

const TOKEN_SEPARATOR = '@';
/** A consumer id: letters, digits, ".", "_" and "-" (job ids are the protocol's JobIdSchema). */
const SAFE_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;
const isJobId = (id: string): boolean => JobIdSchema.safeParse(id).success;

export function readyName(jobId: string): string {
  return `${READY_PREFIX}${jobId}`;
}

export function tmpName(jobId: string): string {
  return `${READY_PREFIX}${jobId}${TMP_SUFFIX}`;
}

/** Whether a name in a queue folder is a producer's unfinished bundle (`job_<id>.tmp`). */
export function isProducerTempName(name: string): boolean {
  return name.startsWith(READY_PREFIX) && name.endsWith(TMP_SUFFIX);
}

/** Name of a claimed or archived folder: unique to one claim. */
export function tokenName(jobId: string, token: string): string {
  return `${READY_PREFIX}${jobId}${TOKEN_SEPARATOR}${token}`;
}

/** The job id of a ready folder name, or undefined for anything else (including `.tmp` folders). */
export function parseReadyName(name: string): string | undefined {
  if (!name.startsWith(READY_PREFIX) || name.endsWith(TMP_SUFFIX) || name.includes(TOKEN_SEPARATOR))
    return undefined;
  const id = name.slice(READY_PREFIX.length);
  return isJobId(id) ? id : undefined;
}

/** The job id and claim token of a claimed or archived folder name. */
export function parseTokenName(name: string): { jobId: string; token: string } | undefined {
  if (!name.startsWith(READY_PREFIX)) return undefined;
  const at = name.indexOf(TOKEN_SEPARATOR);
  if (at < 0) return undefined;
  const jobId = name.slice(READY_PREFIX.length, at);
  const token = name.slice(at + 1);
  return isJobId(jobId) && token !== '' ? { jobId, token } : undefined;
}

/**
 * The job id of a folder name in claimed/ or an archive: `job_<id>@<token>`, or a plain `job_<id>` (an
 * archive's first job of an id). The one parser of those names: a look that knew only one of the two forms
 * missed a job kept only under the other (a claim in another queue ran the id a second time).
 */
export function archivedJobId(name: string): string | undefined {
  return parseTokenName(name)?.jobId ?? parseReadyName(name);
}

/** A consumer id goes into folder names: letters, digits, ".", "_" and "-" (so no `@`). */
export function isSafeId(value: string): boolean {
  return SAFE_ID.test(value);
}
