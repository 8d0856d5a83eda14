import { ImkError, isImkError } from '@imk/errors';

/**
 * Stable codes of sync errors. `final` ones need a person (credentials, permissions, configuration) and
 * are not retried until the configuration changes or `imk sync retry`; the others are retried with backoff.
 */
export const SYNC_ERROR_CODES = {
  AUTH_FAILED: 'final',
  HOST_KEY_REJECTED: 'final',
  PERMISSION_DENIED: 'final',
  BACKEND_CONFIG_INVALID: 'final',
  SECRET_MISSING: 'final',
  TOOL_MISSING: 'final',
  LOCAL_MISMATCH: 'final',
  UNROUTED: 'final',
  CONFLICT: 'final',
  DESTINATION_UNSAFE: 'final',
  REMOTE_MISSING: 'final',
  REMOTE_CHANGED: 'final',
  UNREACHABLE: 'retryable',
  TRANSFER_FAILED: 'retryable',
  VERIFY_FAILED: 'retryable',
  REMOTE_FULL: 'retryable',
  ABORTED: 'retryable',
} as const;

export type SyncErrorCode = keyof typeof SYNC_ERROR_CODES;

export interface SyncErrorOptions {
  cause?: unknown;
  /** Extra facts for logs and status (never secrets). */
  details?: Record<string, unknown>;
}

/** An ImkError whose code is one of SYNC_ERROR_CODES, so callers know whether to retry. */
export function syncError(code: SyncErrorCode, message: string, options: SyncErrorOptions = {}): ImkError {
  return new ImkError(code, message, {
    cause: options.cause,
    details: { ...options.details, final: SYNC_ERROR_CODES[code] === 'final' },
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

/** True when retrying later may succeed; false when a person has to act first. */
export function isRetryable(error: unknown): boolean {
  if (isImkError(error)) {
    if (error.code in SYNC_ERROR_CODES) return SYNC_ERROR_CODES[error.code as SyncErrorCode] === 'retryable';
    return error.details.final !== true;
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // Unknown failures are retried (with backoff): giving up on a transient fault would lose a delivery.
  return !(code === 'EACCES' || code === 'EPERM' || code === 'EROFS');
}

/** A socket-level errno: the destination did not answer or dropped the connection. */
export function isNetworkErrno(code: unknown): boolean {
  return typeof code === 'string' && NETWORK_ERRNO.has(code);
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
    case 'ENOSPC':
    case 'EDQUOT':
      return syncError('REMOTE_FULL', `no space left writing ${where}: ${message}`, { cause: error });
    case 'ENOENT':
    case 'ENOTDIR':
    case 'ENODEV':
    case 'ESTALE':
    case 'EIO':
      // A NAS mount that is absent or stale: it may come back.
      return syncError('UNREACHABLE', `destination ${where} is not reachable: ${message}`, { cause: error });
    case 'ABORT_ERR':
      return syncError('ABORTED', `copy to ${where} was stopped`, { cause: error });
    default:
      return syncError('TRANSFER_FAILED', `copy to ${where} failed: ${message}`, { cause: error });
  }
}

/** Whether the error means the whole destination is down (skip its other transfers this pass). */
export function isDestinationDown(error: unknown): boolean {
  return (
    isImkError(error) &&
    (error.code === 'UNREACHABLE' || error.code === 'AUTH_FAILED' || error.code === 'HOST_KEY_REJECTED')
  );
}
