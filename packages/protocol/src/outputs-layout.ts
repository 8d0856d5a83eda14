import { createHash } from 'node:crypto';
import { MAX_NAME_BYTES, fitBytes } from '@imk/fs-safe';
import { JobIdSchema } from './common.ts';

/**
 * The outputs folder, the product's other API (every reader goes through this module, outputs.ts,
 * outputs-scan.ts and outputs-replacing.ts):
 *
 *   outputs/<job_id>/manifest.json                    a finished job: the manifest is written last
 *   outputs/<job_id>/files/{audio,video,stems}/…      its artifacts, paths relative to outputs/<job_id>/
 *   outputs/<job_id>/.imk-published.json              this version published the folder (see PUBLISHED_MARKER_FILE)
 *   outputs/.<job_id>.partial-<consumer>/             being built by one worker (hidden from readers); once it
 *                                                     holds manifest.json, about to take outputs/<job_id>/'s
 *                                                     place, which is absent for that moment when replaced
 *                                                     (isBeingReplaced, outputs-replacing.ts)
 *   outputs/.replaced/<job_id>@<time>/                an earlier output a re-run replaced (kept, never read)
 *   outputs/.replaced/<job_id>@<time>.earlier-version/ the same, written by the earlier Python version (never
 *                                                     removed by retention)
 *   outputs/.<job_id>.mixing/<consumer>.<nonce>.lease the claim of the one worker (of any host) adding a mix
 *                                                     to <job_id>'s outputs or running it; its lease a
 *                                                     heartbeat counter
 *   outputs/.imk-name-check-<random>/                 for a moment: asks outputs/ whether it takes a job id
 *                                                     as a folder name (an SMB share may refuse it)
 *   outputs/.imk-clock-check-<random>/                for a moment: its mtime is "now" on the clock of the
 *                                                     file system outputs/ is on (CLOCK_CHECK_PREFIX)
 */

/** The document every finished job folder holds, written last: its presence means the job is complete. */
export const MANIFEST_FILE = 'manifest.json';

/**
 * `outputs/<job_id>/.imk-published.json`: written by this version into every folder it publishes (with the
 * manifest, before the one rename). A manifest without schema_version beside it means the earlier Python
 * version, still running on the same outputs/, wrote into a folder this version had published (it opens
 * `outputs/<job_id>/` by name): its files and ours are mixed there, and readers say so.
 */
export const PUBLISHED_MARKER_FILE = '.imk-published.json';

/**
 * The prefix of a private folder (mkdtemp) in which a worker makes a folder named by a job id, to ask the
 * file system of outputs/ whether it takes that name; removed at once (hidden: no reader lists it).
 */
export const NAME_CHECK_PREFIX = '.imk-name-check-';

/**
 * The prefix of a private folder (mkdtemp) a worker makes in outputs/ to read "now" on the clock of its file
 * system (its mtime), against which the age of a folder there is measured; removed at once (hidden).
 */
export { CLOCK_CHECK_PREFIX } from '@imk/fs-safe';

/**
 * The folders of a job's artifacts, relative to `outputs/<job_id>/` (the earlier Python version's too): the
 * worker writes its variants and saved mixes to `files/audio/`, stems to `files/stems/`, videos to
 * `files/video/`; the dashboard checks a mix's path there before it queues the mix, and a mix of an
 * earlier-version output reads its stems from `files/stems/`.
 */
export const ARTIFACT_DIRS = { audio: 'files/audio', stems: 'files/stems', video: 'files/video' } as const;

/** `files/<folder>/<name>`: an artifact's path relative to its job's folder (manifest paths are these). */
export function artifactPath(folder: keyof typeof ARTIFACT_DIRS, name: string): string {
  return `${ARTIFACT_DIRS[folder]}/${name}`;
}

/** Earlier outputs of a job id that a new run replaces are moved here, never deleted. */
export const REPLACED_DIR = '.replaced';

const PARTIAL_MARKER = '.partial-';
const MIX_CLAIM_MARKER = '.mixing';

/**
 * A "." in a consumer id that starts ".partial-" or ".mixing": the consumer part of a name has "_" there
 * instead (see consumerPart). A job id may hold both too, so a name is read from its end.
 */
const RESERVED_IN_CONSUMER = /\.(?=partial-|mixing)/g;

/** Bytes kept for a claim token's nonce (fsqueue's are about 10). */
const NONCE_ROOM = 24;

/** Hex characters of the whole consumer id's hash a cut consumer part ends with. */
const CUT_HASH_CHARS = 8;

/**
 * The consumer id as it appears in every name made for one job: claim tokens (`job_<id>@<consumer>.<nonce>`),
 * partial and scratch folders, mix claims' leases. Cut, the same way everywhere, when a 200-character job id
 * and a long host name would pass the 255-byte limit of a name (a claim then failed as ENAMETOOLONG on every
 * pass). Never holds ".partial-" nor ".mixing" (a host may be called `a.partial-b`): the job id of a partial
 * folder is then what comes before its last ".partial-", and no partial folder is named like a mix claim
 * (`.<x>.partial-<y>.mixing` is job `x.partial-y`'s). A cut part ends in "-" and 8 hex characters of a hash
 * of the whole id, so that ids that differ only in what was cut (two workers of one host) stay apart. The
 * same for a consumer id already made so (the one in a claim token, cut by this version or an earlier one
 * without the hash): cleanup names the folders a claim's holder keeps from it.
 */
export function consumerPart(jobId: string, consumerId: string): string {
  // "job_" + "@" + "." around the job id and the nonce of a claim name.
  const room = Math.max(1, MAX_NAME_BYTES - Buffer.byteLength(jobId) - 6 - NONCE_ROOM);
  const whole = consumerId.replace(RESERVED_IN_CONSUMER, '_');
  if (Buffer.byteLength(whole) <= room) return whole;
  // Cut: its start, then "-" and a hash of the whole id. Cut from the end alone, the ids of two workers of
  // one host (`<host>-<pid>-<random>`, the host name long) gave one part, and one partial or scratch folder.
  // A cut part fits, so it is its own part (cleanup names a claim's folders from the part in its token).
  // Replaced again: a start cut after ".partial" makes ".partial-" with the "-" that follows it.
  const hash = createHash('sha256').update(consumerId).digest('hex').slice(0, CUT_HASH_CHARS);
  const head = fitBytes(whole, room - CUT_HASH_CHARS - 1);
  return head === '' ? fitBytes(hash, room) : `${head}-${hash}`.replace(RESERVED_IN_CONSUMER, '_');
}

/** `.<job_id>.partial-<consumer>`: the folder one worker builds a job's outputs in. */
export function partialDirName(jobId: string, consumerId: string): string {
  return `.${jobId}${PARTIAL_MARKER}${consumerPart(jobId, consumerId)}`;
}

/**
 * `<job_id>@<consumer>`: the scratch folder one worker uses for a job under its work folder
 * (`state/tmp/instrumental-maker/` by default); cleanup keeps it while that worker holds the claim. A job id
 * never holds "@" (JobIdSchema), so the job is what comes before the first "@", as in a claim's
 * `job_<id>@<token>`, and no two (job, consumer part) pairs share a folder whatever the consumer holds. The
 * earlier `<job_id>-<consumer>` did not say where the job id ended: job `a` of worker `b-c` and job `a-b` of
 * worker `c` wrote into one folder.
 */
export function jobWorkDirName(jobId: string, consumerId: string): string {
  return `${jobId}${WORK_DIR_MARKER}${consumerPart(jobId, consumerId)}`;
}

const WORK_DIR_MARKER = '@';

/**
 * `<job_id>-<consumer>`: the scratch folder's name before jobWorkDirName's, which a worker of the earlier
 * naming still running on the same state/ (one container upgraded before another) uses. Cleanup keeps it
 * while a claim of that job and consumer is held, as it keeps jobWorkDirName's; left over, it goes with the
 * work folder's other leftovers by age. Ambiguous (see jobWorkDirName): it may keep another job's leftover
 * a while longer, never remove a held one.
 */
export function earlierJobWorkDirName(jobId: string, consumerId: string): string {
  return `${jobId}-${consumerPart(jobId, consumerId)}`;
}

/**
 * The job id of a partial folder's name (`.<job_id>.partial-<consumer>`, any worker's), or undefined for
 * any other name of outputs/. The job id is what comes before the last ".partial-", since a consumer part
 * never holds one (consumerPart) and a job id may: `.x.partial-y.partial-host` is job `x.partial-y`'s, not
 * job `x`'s (starting job `x` removed it, the other job's work in progress). A mix claim of such a job
 * (`.x.partial-y.mixing`, `….mixing-stale-<nonce>`) is none.
 */
export function partialJobId(name: string): string | undefined {
  if (!name.startsWith('.')) return undefined;
  const at = name.lastIndexOf(PARTIAL_MARKER);
  if (at <= 1) return undefined;
  const consumer = name.slice(at + PARTIAL_MARKER.length);
  if (consumer === '' || consumer.includes(MIX_CLAIM_MARKER)) return undefined;
  return name.slice(1, at);
}

/** Whether a name in outputs/ is a partial folder of this job (any worker's), and of no other job. */
export function isPartialOf(name: string, jobId: string): boolean {
  return partialJobId(name) === jobId;
}

/** Whether a name in outputs/ is a partial folder (of any job): unfinished work that cleanup may remove. */
export function isPartialName(name: string): boolean {
  return partialJobId(name) !== undefined;
}

/**
 * `.<job_id>.mixing`: the folder whose exclusive creation (mkdir) claims a job's outputs for one remix, or
 * one run of the job itself, at a time, across every worker and host sharing outputs/. It holds the
 * holder's lease file.
 */
export function mixClaimName(jobId: string): string {
  return `.${jobId}${MIX_CLAIM_MARKER}`;
}

/** `<token>.lease`: the holder's heartbeat counter inside a mix claim folder. */
export function mixLeaseName(token: string): string {
  return `${token}${MIX_LEASE_SUFFIX}`;
}

/** The holder's token a mix claim's lease file is named after, or undefined for any other name. */
export function mixLeaseToken(name: string): string | undefined {
  return name.endsWith(MIX_LEASE_SUFFIX) ? name.slice(0, -MIX_LEASE_SUFFIX.length) : undefined;
}

const MIX_LEASE_SUFFIX = '.lease';

/** `.<job_id>.mixing-stale-<nonce>`: a stale mix claim taken away (and then removed) by the worker that took it. */
export function staleMixClaimName(jobId: string, nonce: string): string {
  return `.${jobId}${MIX_CLAIM_MARKER}-stale-${nonce}`;
}

/** Ends the name in `.replaced/` of an output the earlier Python version wrote (kept for good, see below). */
const EARLIER_VERSION_SUFFIX = '.earlier-version';

/**
 * The name an earlier output is kept under in `.replaced/`; `<job_id>@<time>.earlier-version` for one the
 * earlier Python version wrote (its YouTube and Deezer ids are ours too, so fetching a song again replaces
 * it), which retention never removes: it is the user's library, not a re-run of ours.
 */
export function replacedName(jobId: string, stamp: string, earlierVersion = false): string {
  return `${jobId}@${stamp}${earlierVersion ? EARLIER_VERSION_SUFFIX : ''}`;
}

/** Whether a name in `.replaced/` holds an output of the earlier version (see replacedName): never cleaned up. */
export function isEarlierVersionReplaced(name: string): boolean {
  return name.endsWith(EARLIER_VERSION_SUFFIX);
}

/**
 * Whether a name in outputs/ can be a finished job folder: a job id (the protocol's id rule, the same as
 * for `job_<id>` bundles), so never a hidden folder (partial, `.replaced`) nor a name no job could have.
 */
export function isOutputFolderName(name: string): boolean {
  return JobIdSchema.safeParse(name).success;
}

/**
 * Whether a name in outputs/ can be a job folder the earlier Python version wrote although it is not a job
 * id here: its consumer took `job_id` as any text (`outputs/<job_id>/`); most of its names are job ids here
 * too (`Café del Mar 01`), but not one with spaces around it (` My Song `), of spaces only, with an `@`, or
 * with a backslash (it ran on Linux, where `AC\DC - Song` is one name). Such a folder is listed, read-only:
 * nothing of ours is ever published, replaced or remixed under a name that is no job id. Its name is only
 * ever joined to outputs/ as one component (a backslash is no separator on Linux; nas-sync makes every
 * `{job_id}` a safe file name); never a hidden name (partial, `.replaced`, a claim) nor one with a control
 * character.
 */
export function isEarlierVersionOutputName(name: string): boolean {
  return (
    !isOutputFolderName(name) &&
    name.length > 0 &&
    !name.startsWith('.') &&
    // eslint-disable-next-line no-control-regex
    !/[\u0000-\u001f\u007f/]/.test(name) &&
    Buffer.byteLength(name) <= MAX_NAME_BYTES
  );
}

/** Whether a name in outputs/ is listed as a job folder: a job id, or an earlier-version name (read-only). */
export function isListedOutputName(name: string): boolean {
  return isOutputFolderName(name) || isEarlierVersionOutputName(name);
}
