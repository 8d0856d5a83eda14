import type { ImkError } from '@imk/errors';
import { syncError } from '../errors.ts';

export const NOT_FOUND =
  /object not found|directory not found|file not found|not found|doesn't exist|no such file/i;

/** rclone's words (they vary by remote) for a file where a folder of the path should be. */
export const NOT_A_FOLDER = /is a file not a directory|not a directory/i;

/** Classifies an rclone error text (from its stderr or its remote control API): logins and permissions are final. */
export function classifyRcloneFailure(
  text: string,
  action: string,
  where: string,
  exitCode?: number,
): ImkError {
  const tail = text.trim().split('\n').slice(-4).join(' | ') || '(no output)';
  const message = `${where}: ${action} failed${exitCode === undefined ? '' : ` (exit ${exitCode})`}: ${tail}`;
  if (
    /unable to authenticate|Permission denied \(publickey|authentication failed|InvalidAccessKeyId|SignatureDoesNotMatch|401 Unauthorized|invalid_grant|token expired/i.test(
      text,
    )
  )
    return syncError(
      'AUTH_FAILED',
      `${where}: the remote refused the login (check its credentials in rclone config): ${tail}`,
    );
  if (/knownhosts|host key mismatch|key is unknown/i.test(text))
    return syncError('HOST_KEY_REJECTED', `${where}: the server's host key was rejected: ${tail}`);
  if (/AccessDenied|403 Forbidden|permission denied/i.test(text))
    return syncError('PERMISSION_DENIED', message);
  if (
    /didn't find section in config file|unknown backend|unknown flag|Config file .* not found|bad remote name/i.test(
      text,
    )
  )
    return syncError('BACKEND_CONFIG_INVALID', `${message}; check "remote" and rclone config`);
  if (
    /connection refused|no route to host|i\/o timeout|connection reset|broken pipe|dial tcp|couldn't connect|EOF|network is unreachable|no such host/i.test(
      text,
    )
  )
    return syncError('UNREACHABLE', message);
  // rclone has no exit code for it (rclone docs, "Exit Code": 1-10) and no translations (Go's errno words are
  // English): its local backend's check before writing says `preallocate: file too big for remaining disk
  // space`, the kernel `no space left on device`, WebDAV servers `507 Insufficient Storage`.
  if (/no space left|quota|too big for remaining disk space|insufficient storage/i.test(text))
    return syncError('REMOTE_FULL', message);
  // A file where the path needs a folder (rclone's words vary by remote); the backend names the file.
  if (NOT_A_FOLDER.test(text)) return syncError('PATH_NOT_FOLDER', message);
  if (exitCode === 7) return syncError('BACKEND_CONFIG_INVALID', message);
  return syncError('TRANSFER_FAILED', message);
}
