import { lstat, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  ImkError,
  POLICY,
  defineErrors,
  errnoRetryable,
  isAbsentErrno,
  isImkError,
  isNoSpace,
  isRetryableError,
  type ErrorPolicy,
} from '@imk/errors';
import { TEMP_SUFFIX } from './util/remote-path.ts';

/** What sync's catalogue says of a code, beyond retry and HTTP status. */
export interface SyncErrorPolicy extends ErrorPolicy {
  /**
   * The whole destination cannot work (unreachable, refused login, a missing secret, program or setting):
   * said once per destination and pass, and its other transfers are recorded without being tried.
   */
  readonly wholeDestination?: true;
  /** What `imk sync verify` records for a delivered copy found gone or altered: the copy was there once. */
  readonly verifyFinding?: true;
  /**
   * The destination (not one file) cannot take files until its cause is fixed (unreachable, refused login,
   * not a folder, no permission, full): while a destination's last attempt failed with it, the running
   * nas-sync shows "degraded" with the reason (isDestinationFault).
   */
  readonly destinationFault?: true;
}

const FAULT = { destinationFault: true } as const;
const WHOLE_DESTINATION = { wholeDestination: true, ...FAULT } as const;
const VERIFY_FINDING = { verifyFinding: true } as const;

/**
 * Every code sync throws, with its policy. Permanent ones need a person (credentials, permissions,
 * configuration) and are not retried until the configuration changes or `imk sync retry`; the others are
 * retried with backoff.
 */
const SYNC_CATALOGUE = {
  AUTH_FAILED: { ...POLICY.unavailable, ...WHOLE_DESTINATION },
  HOST_KEY_REJECTED: { ...POLICY.unavailable, ...WHOLE_DESTINATION },
  PERMISSION_DENIED: { ...POLICY.unavailable, ...FAULT },
  BACKEND_CONFIG_INVALID: { ...POLICY.unavailable, ...WHOLE_DESTINATION },
  SECRET_MISSING: { ...POLICY.unavailable, ...WHOLE_DESTINATION },
  SECRET_INVALID: { ...POLICY.unavailable, ...WHOLE_DESTINATION },
  TOOL_MISSING: { ...POLICY.unavailable, ...WHOLE_DESTINATION },
  LOCAL_MISMATCH: POLICY.internal,
  // The job's outputs were replaced (a mix saved, a re-run) while an artifact was sent: sent again, anew.
  JOB_PUBLISHED_AGAIN: POLICY.transient,
  UNROUTED: POLICY.internal,
  CONFLICT: POLICY.conflict,
  DESTINATION_UNSAFE: { ...POLICY.unavailable, ...FAULT },
  // A file (or a FIFO, a device) stands where the route needs a folder: it stays until a person moves it.
  PATH_NOT_FOLDER: { ...POLICY.conflict, ...FAULT },
  REMOTE_MISSING: { ...POLICY.internal, ...VERIFY_FINDING },
  REMOTE_CHANGED: { ...POLICY.conflict, ...VERIFY_FINDING },
  UNREACHABLE: { ...POLICY.upstream, ...WHOLE_DESTINATION },
  // A share /etc/fstab lists is not mounted: retried until it is (other routes of the backend carry on).
  SHARE_NOT_MOUNTED: { ...POLICY.upstream, ...FAULT },
  TRANSFER_FAILED: POLICY.upstream,
  VERIFY_FAILED: POLICY.upstream,
  REMOTE_FULL: { ...POLICY.upstream, ...FAULT },
  // Our temporary copy went from under us (another program removed it): this file only, and it is sent again.
  TEMP_VANISHED: POLICY.upstream,
  // The destination refuses this path for good (a link loop, a file or folder in the way, a name too long):
  // every attempt meets it again until a person changes the path or the route.
  PATH_REFUSED: POLICY.conflict,
  ABORTED: POLICY.transient,
  CONFIG_INVALID: POLICY.unavailable,
  RECEIPTS_CORRUPT: POLICY.unavailable,
  RECEIPTS_MISSING: POLICY.unavailable,
  RECEIPTS_OPEN_FAILED: POLICY.unavailable,
} satisfies Record<string, SyncErrorPolicy>;
export const SYNC_ERRORS = defineErrors<keyof typeof SYNC_CATALOGUE, SyncErrorPolicy>(
  '@imk/sync',
  SYNC_CATALOGUE,
);

/** Sync's policy of a code (its own or one passing through), or undefined for a code it does not name. */
function syncPolicyOf(code: string): SyncErrorPolicy | undefined {
  return (SYNC_ERRORS as Partial<Record<string, SyncErrorPolicy>>)[code];
}

export type SyncErrorCode = keyof typeof SYNC_ERRORS;

export interface SyncErrorOptions {
  cause?: unknown;
  /** Extra facts for logs and status (never secrets). */
  details?: Record<string, unknown>;
}

/** An ImkError whose code is one of SYNC_ERRORS, so callers know whether to retry. */
export function syncError(code: SyncErrorCode, message: string, options: SyncErrorOptions = {}): ImkError {
  return new ImkError(code, message, {
    cause: options.cause,
    details: { ...options.details, final: !SYNC_ERRORS[code].retryable },
  });
}

// Network errors that say "not now" rather than "never".
const NETWORK_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ESOCKETTIMEDOUT',
]);

/**
 * True when retrying later may succeed; false when a person has to act first. The error says so itself
 * (STYLE 15): its own word, on it or a cause (fs-safe's refusals, a backend's verdict), then its code's
 * policy in whichever package's catalogue names it, then the project's one errno policy (@imk/errors).
 */
export function isRetryable(error: unknown): boolean {
  // Unknown failures are retried (with backoff): giving up on a transient fault would lose a delivery.
  return isRetryableError(error) ?? errnoRetryable(error) ?? true;
}

/** A socket-level errno: the destination did not answer or dropped the connection. */
export function isNetworkErrno(code: unknown): boolean {
  return typeof code === 'string' && NETWORK_ERRNO.has(code);
}

export { isAbsentErrno };

/** Rethrows a file-system error unless it says there is no file at the path (isAbsentErrno). */
export function ignoreAbsent(error: unknown): void {
  if (!isAbsentErrno(error)) throw error;
}

/** The stable code of any error, for receipts and status. */
export function errorCode(error: unknown): string {
  if (isImkError(error)) return error.code;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'TRANSFER_FAILED';
}

/** Turns a filesystem error on a destination into a classified sync error. */
export function fromFsError(error: unknown, where: string): ImkError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const message = (error as Error).message;
  // A full disk or quota, said by the error or one it wraps: @imk/errors' one list (isNoSpace).
  if (isNoSpace(error))
    return syncError(
      'REMOTE_FULL',
      `no space left writing ${where}: ${message}; free space on the destination (or raise its quota), it is tried again later`,
      { cause: error },
    );
  switch (code) {
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return syncError(
        'PERMISSION_DENIED',
        `cannot write ${where}: ${message}; check the folder's owner and mode`,
        {
          cause: error,
        },
      );
    case 'ENOENT':
    case 'ENODEV':
    case 'ESTALE':
    case 'EIO':
      // A NAS mount that is absent or stale: it may come back.
      return syncError('UNREACHABLE', `destination ${where} is not reachable: ${message}`, { cause: error });
    case 'ABORT_ERR':
      return syncError('ABORTED', `copy to ${where} was stopped`, { cause: error });
    default:
      // A link loop, a folder or a file in the way, a name too long: the errno policy says whether it lasts,
      // and a lasting one is its own code (its catalogue policy: final), not a TRANSFER_FAILED told otherwise.
      if (errnoRetryable(error) === false)
        return syncError(
          'PATH_REFUSED',
          `cannot write ${where}: ${message}; change that path on the destination or the route's "to", then imk sync retry`,
          { cause: error },
        );
      return syncError('TRANSFER_FAILED', `copy to ${where} failed: ${message}`, { cause: error });
  }
}

/**
 * The error for a failure on our temporary copy (`temp`) when that temp is gone though its folder is there:
 * another process (a cleanup job, another program on the NAS) removed it while we wrote, checked or moved
 * it. Not the destination being unreachable (its folder answers), so the backend's other files go on; this
 * one is retried. Undefined when the failure was anything else (the caller classifies it as before).
 */
export async function tempVanished(
  error: unknown,
  temp: string,
  target: string,
): Promise<ImkError | undefined> {
  if (isImkError(error) || (error as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT') return undefined;
  // Still there, or its folder gone too (the share went away): not this.
  if (await lstat(temp).catch(() => undefined)) return undefined;
  const folder = await stat(dirname(temp)).catch(() => undefined);
  if (!folder?.isDirectory()) return undefined;
  return tempGoneError(temp, target, error);
}

/**
 * TEMP_VANISHED: our temporary copy `temp`, on its way to `target`, is gone from a folder that is there
 * (tempVanished decides that on this host; a backend writing elsewhere asks its server).
 */
export function tempGoneError(temp: string, target: string, cause?: unknown): ImkError {
  return syncError(
    'TEMP_VANISHED',
    `another process removed our temporary copy ${temp} while it was written or checked, before it could be put in place as ${target}; nothing was delivered and it is sent again later. If a cleanup job or another program on the destination removes hidden *${TEMP_SUFFIX} files, let it skip them`,
    // Its cause is said in words, not chained: a cause may be a refusal to read the temp that says "not
    // retryable" by itself (fs-safe's FILE_MISSING, when the temp went during the read-back check), and a
    // chained cause's word decides retrying (retryableOf). The temp's absence is what this error explains, and
    // a new try makes a new temp: its catalogue's policy must decide.
    { details: { temp, remote_path: target, ...(cause instanceof Error && { cause: cause.message }) } },
  );
}

/**
 * UNREACHABLE: `path`, a destination folder on this host of backend `name`, did not answer a `stat` within
 * `timeoutMs` (places.ts: before anything else is done there).
 */
export function folderSilentError(name: string, path: string, timeoutMs: number): ImkError {
  return syncError(
    'UNREACHABLE',
    `destination ${name}: ${path} did not answer within ${timeoutMs / 1000} s (a network share whose server is down or stopped?); its files are sent once it answers`,
    { details: { path } },
  );
}

/**
 * UNREACHABLE: destination `name`'s work in `where` (a folder on this host: a share) made no progress for
 * `silentMs` since `since`: its server is down or stopped. Every backend writing to a share here says it so.
 */
export function shareSilentError(name: string, where: string, silentMs: number, since: Date): ImkError {
  return syncError(
    'UNREACHABLE',
    `destination ${name}: ${where} made no progress for ${silentMs / 1000} s (since ${since.toISOString()}): a network share whose server is down or stopped? Check that the share's server is up and that ls of that folder answers; its files are sent once it answers`,
    { details: { path: where, silent_since: since.toISOString() } },
  );
}

/** Who writes, in messages: `route "music" (backend "nas")`, or `backend "nas"` outside a route. */
export function writerLabel(what: { backend: string; route?: string | undefined }): string {
  return what.route === undefined
    ? `backend "${what.backend}"`
    : `route "${what.route}" (backend "${what.backend}")`;
}

/**
 * PATH_NOT_FOLDER (final): `path`, a folder `target` needs, is a file or something else that is not a folder.
 * Names the route and the component, and leaves it alone.
 */
export function notAFolderError(
  path: string,
  target: string,
  what: { backend: string; route?: string | undefined },
): ImkError {
  return syncError(
    'PATH_NOT_FOLDER',
    `${writerLabel(what)}: ${path} is a file, not a folder, and ${target} has to go inside it; nothing is written and that file is left as it is. Move or rename it on the destination, or change the route's "to"; then imk sync retry`,
    { details: { path, target } },
  );
}

/** Whether the error means the whole destination is down (skip its other transfers this pass): the catalogue's word. */
export function isDestinationDown(error: unknown): boolean {
  return isImkError(error) && syncPolicyOf(error.code)?.wholeDestination === true;
}

/** Whether a failure's code says its destination cannot take files until fixed: the catalogue's word. */
export function isDestinationFault(code: string | undefined): boolean {
  return code !== undefined && syncPolicyOf(code)?.destinationFault === true;
}

/** The codes `imk sync verify` records for a delivered copy found gone or altered (isVerifyFinding). */
export const VERIFY_FINDING_CODES: readonly string[] = Object.entries(SYNC_CATALOGUE)
  .filter(([, policy]) => 'verifyFinding' in policy)
  .map(([code]) => code);

/** Whether a receipt's error code is what `imk sync verify` records for a copy that was delivered once. */
export function isVerifyFinding(code: string | undefined): boolean {
  return code !== undefined && syncPolicyOf(code)?.verifyFinding === true;
}
