import { posix } from 'node:path';
import { isImkError, type ImkError } from '@imk/errors';
import { formatBytes } from '@imk/log';
import { isNetworkErrno, syncError, writerLabel } from '../errors.ts';
import type { PutRequest } from '../types.ts';
import type { SftpSession } from './sftp-session.ts';

// SFTP status codes (draft-ietf-secsh-filexfer-02; 14 and 15 from the later drafts, which servers of
// version 5 and later send; OpenSSH's sftp-server says only FAILURE, 4, for a full disk or a quota).
export const NO_SUCH_FILE = 2;
const PERMISSION_DENIED = 3;
const FAILURE = 4;
const NO_SPACE_ON_FILESYSTEM = 14;
const QUOTA_EXCEEDED = 15;

/**
 * What a server's out-of-space answer says, in words also when it sent none (ssh2 then says "Unknown
 * status"): undefined when the answer is no out-of-space status.
 */
export function outOfSpaceStatus(error: unknown): string | undefined {
  const { code, message } = error as { code?: unknown; message?: unknown };
  const said =
    typeof message === 'string' && message !== '' && message !== 'Unknown status' ? `: ${message}` : '';
  if (code === QUOTA_EXCEEDED) return `the login's quota is exceeded (SFTP status 15${said})`;
  if (code === NO_SPACE_ON_FILESYSTEM) return `its filesystem is full (SFTP status 14${said})`;
  return undefined;
}

/** Maps ssh2 / ssh2-sftp-client errors to sync errors (auth and permissions are final). */
export function classifySftpError(error: unknown, where: string): ImkError {
  const err = error as { message?: string; code?: unknown; level?: string };
  const message = err.message ?? String(error);
  if (
    err.level === 'client-authentication' ||
    /authentication methods failed|Authentication failed/i.test(message)
  )
    return syncError(
      'AUTH_FAILED',
      `${where}: the server refused the login (check username, privateKeyFile, passphrase)`,
      {
        cause: error,
      },
    );
  if (/Cannot parse privateKey|no passphrase given|Bad passphrase|Unsupported key format/i.test(message))
    return syncError(
      'BACKEND_CONFIG_INVALID',
      `${where}: cannot use the private key (${message}); check privateKeyFile and passphrase`,
      {
        cause: error,
      },
    );
  if (err.code === PERMISSION_DENIED || /permission denied/i.test(message))
    return syncError('PERMISSION_DENIED', `${where}: permission denied: ${message}`, { cause: error });
  if (
    isNetworkErrno(err.code) ||
    err.level === 'client-socket' ||
    err.level === 'client-timeout' ||
    /No response from server|Timed out|handshake|Not connected|No SFTP connection|connection|socket|end event|close event|Channel/i.test(
      message,
    )
  )
    return syncError('UNREACHABLE', `${where}: ${message}`, { cause: error });
  // Out of space, the class of ENOSPC and EDQUOT: by the server's status code, else by its words (a server
  // of version 3 has no code for it and may say "Disk quota exceeded" with FAILURE).
  const outOfSpace = outOfSpaceStatus(error);
  if (outOfSpace !== undefined || /No space|quota/i.test(message))
    return syncError('REMOTE_FULL', `${where}: ${outOfSpace ?? message}`, { cause: error });
  return syncError('TRANSFER_FAILED', `${where}: ${message}`, { cause: error });
}

// Free space below the file's size plus this (filesystem metadata, other writers) counts as a full disk.
const FULL_MARGIN_BYTES = 1 << 20;

/** An upload that failed: where, what, and the session it failed on (for its state and free space). */
export interface UploadFailure {
  /** The backend and server, as messages name them: `sftp backend "nas" (host:port)`. */
  where: string;
  backend: string;
  request: PutRequest;
  target: string;
  session: Pick<SftpSession, 'freeSpace' | 'ended'>;
}

/**
 * What a failed upload means, said for a person (asked after the part written was removed, so that the
 * session's state is known: a request queued behind the writes is answered, or never is when the server's
 * SFTP process died at one of them):
 * - the server's SFTP process ended while the SSH connection stayed up (it crashed or was killed, as at a
 *   limit on file size): TRANSFER_FAILED, this file only, and the next try connects again. It may first have
 *   answered a write with a bare "Failure" (OpenSSH's sftp-server does for a short write) or not: which of
 *   the two the upload met first is a race, the meaning is the same;
 * - a full disk or quota, by the server's status or words, or by the free space of the target's filesystem
 *   (statvfs@openssh.com): REMOTE_FULL, saying how much is free;
 * - a bare "Failure" with room left: TRANSFER_FAILED saying so and what can cause it;
 * - anything else: classifySftpError.
 */
export async function uploadFailure(error: unknown, at: UploadFailure): Promise<unknown> {
  const { request, target, session } = at;
  if (isImkError(error) || request.signal?.aborted) return error;
  const copy = `${at.where}${request.route === undefined ? '' : ` (route "${request.route}")`}: copy to ${target}`;
  if (session.ended() === 'sftp')
    return syncError(
      'TRANSFER_FAILED',
      `${copy}: the server's SFTP process ended during the upload while the SSH connection stayed up: it crashed or was killed (a limit on the size of files, a full disk or a quota can do that). Nothing was delivered; the next try connects again and sends it from the start. If this file keeps failing, look at the server's log and its limits for a file of ${formatBytes(request.bytes)}`,
      { cause: error, details: { path: target, sftp_ended: true } },
    );
  if (session.ended() === 'connection')
    return syncError(
      'UNREACHABLE',
      `${copy}: the SSH connection was closed during the upload; nothing was delivered, and it is sent again once the server answers`,
      { cause: error, details: { path: target } },
    );
  const classified = classifySftpError(error, `${at.where}: copy to ${target}`);
  const said = (error as Error).message ?? String(error);
  // The server said it: a quota or a full filesystem by its status code or words (classifySftpError).
  if (classified.code === 'REMOTE_FULL')
    return remoteFull(at, error, `: ${outOfSpaceStatus(error) ?? `it is out of space (${said})`}`);
  if (classified.code !== 'TRANSFER_FAILED') return classified;
  const space = await session.freeSpace(posix.dirname(target)).catch(() => undefined);
  if (space !== undefined && space.free < request.bytes + FULL_MARGIN_BYTES)
    return remoteFull(
      at,
      error,
      ` (${said}) and its disk is full: ${formatBytes(space.free)} free of ${formatBytes(space.total)}, ` +
        `the file needs ${formatBytes(request.bytes)}`,
      { freeBytes: space.free, totalBytes: space.total },
    );
  if ((error as { code?: unknown }).code !== FAILURE) return classified;
  const room =
    space === undefined
      ? 'the server does not say how much space is free'
      : `its disk is not full (${formatBytes(space.free)} free of ${formatBytes(space.total)})`;
  return syncError(
    'TRANSFER_FAILED',
    `${copy}: the server refused a write with a bare SFTP "Failure" (status 4), and ${room}: a limit on the size of files, a quota the free space does not show, or an error on the server. Nothing partial is left there; it is tried again later. If it keeps failing, look at the server's log and limits`,
    { cause: error, details: { path: target } },
  );
}

/** REMOTE_FULL for a refused write, naming the route, backend and file and saying what to do. */
function remoteFull(
  at: UploadFailure,
  error: unknown,
  why: string,
  details: Record<string, unknown> = {},
): ImkError {
  return syncError(
    'REMOTE_FULL',
    `${writerLabel({ backend: at.backend, route: at.request.route })}: the server refused writing ${at.target}${why}. ` +
      'Nothing partial is left there. Free space on the destination (or raise the quota); it is tried again later',
    { cause: error, details: { path: at.target, ...details } },
  );
}
