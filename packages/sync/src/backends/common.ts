import { access, stat } from 'node:fs/promises';
import { z } from 'zod';
import { MAX_NAME_BYTES, openUntrusted, sha256File } from '@imk/fs-safe';
import { syncError } from '../errors.ts';
import type { PutRequest } from '../types.ts';
import { BandwidthSchema } from '../util/bandwidth.ts';

/** Options every backend takes. */
export const BackendBaseSchema = z.strictObject({
  verify: z
    .enum(['sha256', 'size'])
    .default('sha256')
    .describe(
      'After a copy: sha256 = size and content hash (read-back or server hash); size = byte count only.',
    ),
  bandwidthLimit: BandwidthSchema.optional().describe('Bytes per second for this backend as a whole.'),
  maxNameBytes: z
    .number()
    .int()
    .min(64)
    .max(MAX_NAME_BYTES)
    .default(MAX_NAME_BYTES)
    .describe(
      'Longest file or folder name the destination stores, in UTF-8 bytes: longer names are cut (the title, never the variant suffix or extension). 143 for eCryptfs-encrypted shares (Synology encrypted folders).',
    ),
  concurrency: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Transfers at once on this backend. @default nasSync.concurrency'),
});

/**
 * Checks the local artifact against the manifest before sending anything: it must be a regular file (a
 * FIFO or a device in an output folder would block the copy forever, whatever size the manifest gives),
 * opened the untrusted way, and as large as the manifest says. Links are followed here: the run has
 * already checked that the artifact stays inside its job folder. For a backend whose sender runs in
 * another program (rsync, rclone) and opens the artifact by name itself.
 */
export async function checkLocalFile(request: PutRequest): Promise<void> {
  await (await openLocalFile(request)).close();
}

/** The artifact opened and checked (openLocalFile), and how to read that very descriptor again. */
export interface OpenedLocalFile {
  /**
   * A path that reads the descriptor checked, for readers in this process that take a path (copyFile with
   * its reflinks, ssh2's fastPut, a read stream per try of an upload): /proc/self/fd/N on Linux, a fresh
   * open of the same file whatever the artifact's name stands for by then; elsewhere the artifact's path.
   */
  read: string;
  close(): Promise<void>;
}

/**
 * checkLocalFile, keeping the descriptor open for the transfer: reading the artifact by name again after
 * the check met whatever the name stood for by then (a FIFO put in its place blocked the copy and the
 * sync pass forever). The caller closes it when the transfer is over.
 */
export async function openLocalFile(request: PutRequest): Promise<OpenedLocalFile> {
  let opened: Awaited<ReturnType<typeof openUntrusted>>;
  try {
    opened = await openUntrusted(request.localPath, { followLinks: true });
  } catch (error) {
    throw syncError(
      'LOCAL_MISMATCH',
      `artifact ${request.localPath} cannot be sent: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const { handle, size } = opened;
  const close = () => handle.close();
  if (size !== request.bytes) {
    await close();
    throw syncError(
      'LOCAL_MISMATCH',
      `artifact ${request.localPath} has ${size} bytes but its manifest says ${request.bytes}; the job folder changed after its manifest was written`,
    );
  }
  const proc = `/proc/self/fd/${handle.fd}`;
  const read = await access(proc).then(
    () => proc,
    () => request.localPath,
  );
  return { read, close };
}

/**
 * Runs `send` with the artifact opened and checked (openLocalFile), reading it from `read`, and closes it
 * once the whole transfer is over, whatever happens: for a backend that reads it in this process.
 */
export async function withLocalFile<T>(request: PutRequest, send: (read: string) => Promise<T>): Promise<T> {
  const source = await openLocalFile(request);
  try {
    return await send(source.read);
  } finally {
    await source.close();
  }
}

/**
 * The error for a copy whose hash or size differs from the manifest. When the local file itself differs
 * from the manifest, re-sending cannot help (final); otherwise the copy was damaged on the way (retry).
 */
export async function mismatchError(
  request: PutRequest,
  where: string,
  found: { bytes?: number; sha256?: string },
): Promise<Error> {
  const local = await sha256File(request.localPath).catch(() => undefined);
  if (local !== request.sha256)
    return syncError(
      'LOCAL_MISMATCH',
      `artifact ${request.localPath} does not match the sha256 in its manifest; the job folder changed after its manifest was written`,
    );
  const what =
    found.bytes !== undefined && found.bytes !== request.bytes
      ? `${found.bytes} bytes instead of ${request.bytes}`
      : `sha256 ${found.sha256 ?? '?'} instead of ${request.sha256}`;
  return syncError('VERIFY_FAILED', `copy at ${where} has ${what}; it was removed and will be sent again`);
}

/** What a destination reports about the file at a path, for the no-overwrite check. */
export interface ExistingLookup {
  /**
   * What is at the path: its size, and `regular: false` when it is not a regular file (a folder, a FIFO, a
   * device): never the same content, and never read (a FIFO's read never ends, a folder's fails).
   */
  stat(): Promise<{ bytes: number; regular?: boolean } | undefined>;
  hash(): Promise<string>;
}

/**
 * The destination-time check every backend makes before a file goes under its final name (`existing:
 * 'keep'`, the default): nothing there = go on; the same content (size, then sha256) = already delivered;
 * anything else = `CONFLICT`, and the file there is left as it is. `replace` replaces a file (nothing is
 * read), but never a folder, a FIFO or a device: those are the same `CONFLICT` whatever the policy (a
 * rename over a folder fails with EISDIR or a bare SFTP 'Failure', and some tools would write into it).
 */
export async function settleExisting(
  request: PutRequest,
  where: string,
  lookup: ExistingLookup,
): Promise<'absent' | 'same'> {
  const found = await lookup.stat();
  if (!found) return 'absent';
  if (found.regular === false) throw takenError(request, where, NOT_REGULAR);
  if (request.existing === 'replace') return 'absent';
  if (found.bytes === request.bytes && (await lookup.hash()) === request.sha256) return 'same';
  throw takenError(request, where);
}

/** What a CONFLICT says is under a destination name that is a folder, a FIFO or a device. */
export const NOT_REGULAR = 'something that is not a regular file';

/**
 * The error for a destination path that holds a file with other content (or, `what`, something else: a
 * folder, a FIFO).
 */
export function takenError(request: PutRequest, where: string, what = 'a different file'): Error {
  return syncError('CONFLICT', `${where} already holds ${what}; it was not overwritten`, {
    details: { remote_path: request.remotePath, ...(what === NOT_REGULAR && { not_regular: true }) },
  });
}

/**
 * The error for a hash asked of something at a remote path that is not a regular file (a folder, a FIFO,
 * a device): it is not read (a FIFO's read never ends), and it is not the delivered copy.
 */
export function notRegularError(where: string): Error {
  return syncError(
    'REMOTE_CHANGED',
    `${where} is not a regular file (a folder, a FIFO or a device); it was not read`,
    { details: { remote_path: where } },
  );
}

/** True when the local file's ctime is not after the manifest's write time (see PutRequest.recordedMs). */
export async function unchangedSinceManifest(request: PutRequest): Promise<boolean> {
  if (request.recordedMs === undefined) return false;
  const info = await stat(request.localPath).catch(() => undefined);
  return info !== undefined && info.ctimeMs <= request.recordedMs;
}
