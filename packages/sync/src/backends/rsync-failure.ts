import type { ImkError } from '@imk/errors';
import { syncError } from '../errors.ts';
import { stderrTail, type ToolResult } from '../util/run-tool.ts';
import { sshFailureKind } from '../util/ssh-options.ts';

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
  if (/No space left|Disk quota exceeded/i.test(result.stderr)) return syncError('REMOTE_FULL', message);
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
