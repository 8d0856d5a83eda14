import type { ImkError } from '@imk/errors';
import { syncError } from '../errors.ts';
import { stderrTail, type ToolResult } from '../util/run-tool.ts';
import { sshFailureKind } from '../util/ssh-options.ts';

// rsync's exit codes tell no full disk from any other file error (11, file I/O; 23, partial transfer; 12, the
// receiver died: `rsync(1)`, EXIT VALUES), but it names the errno after its words: `write failed on "…": No
// space left on device (28)`. ENOSPC (28) and EDQUOT (122, Linux) are read by number, whatever language the
// words are in (tools run in the C locale, run-tool.ts toolEnv, and a server may not take it).
const NO_SPACE_ERRNO = /failed[^\n]*\((?:28|122)\)\s*$/m;

/** A run that failed because the destination is full: by rsync's errno, or by its (or the server's) words. */
function isOutOfSpace(result: ToolResult): boolean {
  if ([11, 12, 23].includes(result.exitCode) && NO_SPACE_ERRNO.test(result.stderr)) return true;
  return /No space left|Disk quota exceeded/i.test(result.stderr);
}

/** Classifies a failed rsync or ssh run from its exit code and stderr (login and permissions are final). */
export function classifyRsyncFailure(
  result: ToolResult,
  action: string,
  where: string,
  remote: boolean,
): ImkError {
  const tail = stderrTail(result.stderr);
  const message = `${where}: ${action} failed (exit ${result.exitCode}): ${tail}`;
  if (remote && (result.exitCode === 255 || /connection unexpectedly closed|ssh/i.test(result.stderr))) {
    switch (sshFailureKind(result.stderr)) {
      case 'auth':
        return syncError(
          'AUTH_FAILED',
          `${where}: the server refused the login (check username and privateKeyFile): ${tail}`,
        );
      case 'host-key':
        return syncError(
          'HOST_KEY_REJECTED',
          `${where}: the server's host key is not the known one (check knownHostsFile): ${tail}`,
        );
      case 'unreachable':
        return syncError('UNREACHABLE', message);
      case 'other':
        break;
    }
  }
  if (/Permission denied|Operation not permitted|Read-only file system/i.test(result.stderr))
    return syncError('PERMISSION_DENIED', message);
  if (isOutOfSpace(result)) return syncError('REMOTE_FULL', message);
  // 1 syntax, 2 protocol incompatibility, 4 unsupported action (e.g. --mkpath on an old server).
  if (result.exitCode === 1 || result.exitCode === 2 || result.exitCode === 4)
    return syncError(
      'BACKEND_CONFIG_INVALID',
      `${message}; check extraArgs and the rsync version on both ends (>= 3.2.3)`,
    );
  if ([5, 10, 12, 30, 35, 255].includes(result.exitCode)) return syncError('UNREACHABLE', message);
  return syncError('TRANSFER_FAILED', message);
}

/** Exit codes after which some files may still have arrived whole (they are checked one by one). */
export const PARTIAL_EXIT_CODES = new Set([0, 23, 24]);
