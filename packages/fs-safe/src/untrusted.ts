import { constants, lstatSync, type Stats } from 'node:fs';
import { lstat, open, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, sep } from 'node:path';
import { ImkError, markSaidAs } from '@imk/errors';
import { FS_SAFE_ERRORS } from './errors.ts';
import { describeKind } from './file-kind.ts';
import { decodeUtf16WithBom } from './text-encoding.ts';

/**
 * The one way to open a file someone else wrote (a bundle's job.json and media, a sidecar, a request file,
 * an inbox file, a manifest the dashboard shows): lstat first and accept only a regular file (a FIFO or a
 * device would block a libuv thread forever, /dev/zero would fill memory), open it with O_NOFOLLOW and
 * O_NONBLOCK, then fstat the handle and check it is still the same regular file.
 */
export interface UntrustedOpenOptions {
  /** Largest size accepted, in bytes (a cap per use: job.json, sidecar, request file are small). */
  maxBytes?: number;
  /**
   * How the file is named in messages (e.g. "job.json" or "queues/other/job_x/job.json"); default its path
   * inside `within` when given, else its folder's name and its own ("job_x/imk-state.json", see
   * {@link shortName}): a message names the file where its folder is known, not the host's absolute path.
   */
  name?: string;
  /**
   * Follow symbolic links: for a file the user named themselves (`imk separate song.wav`), where a link is
   * theirs to make. What the link leads to must still be a regular file. @default false
   */
  followLinks?: boolean;
  /**
   * The folder the file was found inside (resolveInside checked every component of its path): checked
   * again on the open descriptor itself, where the system says what it is (Linux: /proc/self/fd), so that
   * a folder on the path swapped for a link between that check and the open is refused (FILE_CHANGED).
   */
  within?: string;
}

export type UntrustedFileCode =
  | 'FILE_MISSING'
  | 'FILE_NOT_REGULAR'
  | 'FILE_IS_SYMLINK'
  | 'FILE_TOO_LARGE'
  | 'FILE_UNREADABLE'
  | 'FILE_CHANGED'
  | 'FILE_READ_FAILED';

/** Refused or unreadable untrusted file; `retryable` says whether another attempt could succeed. */
export class UntrustedFileError extends ImkError {
  declare readonly code: UntrustedFileCode;
  /**
   * `kind`: what the file turned out to be ("a FIFO (named pipe)"), when it was refused for that. An errno
   * cause's code is kept in `details.errno` (the system's word, for a log or a search), its path in
   * `details.path`; the message says it in its own words (see untrustedErrnoError).
   */
  constructor(code: UntrustedFileCode, message: string, file: string, cause?: unknown, kind?: string) {
    const errno = (cause as NodeJS.ErrnoException | undefined)?.code;
    const path = (cause as NodeJS.ErrnoException | undefined)?.path;
    super(code, message, {
      cause,
      details: {
        file,
        ...(kind !== undefined && { kind }),
        ...(typeof errno === 'string' && { errno }),
        ...(typeof path === 'string' && { path }),
      },
      // The code's catalogue policy, said on the error itself so that it outlives a wrapping error: only an
      // I/O error or a file swapped while opening may go away; the rest are facts about the input.
      retryable: FS_SAFE_ERRORS[code].retryable,
    });
  }
}

/**
 * How a file is named in a message when its caller gave no name: its folder's name and its own
 * ("job_x.claimed-ab12/imk-state.json", "state/heartbeat.json"), or its path inside `within`: the job or
 * the folder it belongs to and the file, not the host's absolute path (the error keeps that in
 * `details.path`).
 */
export function shortName(path: string, within?: string): string {
  if (within !== undefined) {
    const rel = relative(within, path);
    if (rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)) return rel;
  }
  const parent = dirname(path);
  const grand = dirname(parent);
  // A file at the top of the tree ("/dev/null") or a name without a folder is named as it is.
  if (dirname(grand) === grand) return path;
  return `${basename(parent)}/${basename(path)}`;
}

/**
 * Turns an errno error on `name` into an UntrustedFileError naming it and saying what to do. The system's
 * own message ("EACCES: permission denied, open '/srv/imk/queues/…'") is not repeated after it
 * (errorMessage): the code is said in the message and kept in `details.errno`, the path in `details.path`.
 */
export function untrustedErrnoError(error: unknown, name: string): UntrustedFileError {
  if (error instanceof UntrustedFileError) return error;
  const mapped = errnoRefusal(error, name);
  // The message says the errno in its own words: errorMessage appends it to no message that says them.
  if (mapped.details.errno !== undefined) markSaidAs(error, mapped.message);
  return mapped;
}

function errnoRefusal(error: unknown, name: string): UntrustedFileError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'unknown';
  switch (code) {
    case 'ENOENT':
      return new UntrustedFileError('FILE_MISSING', `${name} does not exist`, name, error);
    case 'EACCES':
    case 'EPERM':
      return new UntrustedFileError(
        'FILE_UNREADABLE',
        `${name} cannot be read: permission denied (${code}); fix its permissions and publish it again`,
        name,
        error,
      );
    case 'ELOOP':
      return new UntrustedFileError(
        'FILE_IS_SYMLINK',
        `${name} is a symbolic link (or a loop of links); links are not followed (ELOOP)`,
        name,
        error,
      );
    case 'ENOTDIR':
    case 'EISDIR':
    case 'ENXIO':
    case 'ENAMETOOLONG':
      return new UntrustedFileError(
        'FILE_NOT_REGULAR',
        `${name} is not a regular file (${code}); put a regular file there`,
        name,
        error,
      );
    default:
      return new UntrustedFileError(
        'FILE_READ_FAILED',
        code === 'unknown'
          ? `${name} could not be read (${String((error as Error | undefined)?.message)})`
          : `${name} could not be read (${code}); check the disk or share it is on, then try again`,
        name,
        error,
      );
  }
}

function refuseKind(info: Stats, name: string): UntrustedFileError {
  const kind = describeKind(info);
  return info.isSymbolicLink()
    ? new UntrustedFileError('FILE_IS_SYMLINK', `${name} is a symbolic link; links are not followed`, name)
    : new UntrustedFileError(
        'FILE_NOT_REGULAR',
        `${name} is ${kind}, not a regular file; refused (reading it could block or never end)`,
        name,
        undefined,
        kind,
      );
}

function tooLarge(name: string, size: number, maxBytes: number): UntrustedFileError {
  return new UntrustedFileError(
    'FILE_TOO_LARGE',
    `${name} is too large (${size} bytes; at most ${maxBytes} are accepted here)`,
    name,
  );
}

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const OPEN_FLAGS_FOLLOWING = constants.O_RDONLY | constants.O_NONBLOCK;

/**
 * How many times, at most, openUntrusted looks and opens again when the file it opened is not the one it
 * looked at (FILE_CHANGED): a file written beside and renamed into place (a manifest.json published again,
 * a job's folder moved aside and another renamed in) is a new file between the look and the open, and
 * looked at again is the new one, with the same checks. Replaced at every try, it is said to be changing.
 */
const OPEN_TRIES = 10;

/**
 * Opens an untrusted regular file (see the module comment). The caller closes the handle. `stats` is the
 * descriptor's fstat at the open (copyOpenedFile's `since`: was it written to after this look?). A file
 * replaced between the look and the open is looked at and opened again (OPEN_TRIES): the caller gets the
 * earlier file or the new one, not an error for the moment of a rename.
 */
export async function openUntrusted(
  path: string,
  options: UntrustedOpenOptions = {},
): Promise<{ handle: FileHandle; size: number; stats: Stats }> {
  for (let tries = 1; ; tries++) {
    try {
      return await openUntrustedOnce(path, options);
    } catch (error) {
      if (tries >= OPEN_TRIES || !(error instanceof UntrustedFileError && error.code === 'FILE_CHANGED'))
        throw error;
    }
  }
}

async function openUntrustedOnce(
  path: string,
  options: UntrustedOpenOptions,
): Promise<{ handle: FileHandle; size: number; stats: Stats }> {
  const name = options.name ?? shortName(path, options.within);
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  let before: Stats;
  try {
    before = await (options.followLinks === true ? stat(path) : lstat(path));
  } catch (error) {
    // Links are followed here: ELOOP is a loop of them, not a link refused ("links are not followed").
    if (options.followLinks === true && (error as NodeJS.ErrnoException).code === 'ELOOP') {
      markSaidAs(error, 'ELOOP');
      throw new UntrustedFileError(
        'FILE_IS_SYMLINK',
        `${name} is a loop of symbolic links (ELOOP): it leads to no file; point the link at the file meant`,
        name,
        error,
      );
    }
    throw untrustedErrnoError(error, name);
  }
  if (!before.isFile()) throw refuseKind(before, name);
  if (before.size > maxBytes) throw tooLarge(name, before.size, maxBytes);
  let handle: FileHandle;
  try {
    handle = await open(path, options.followLinks === true ? OPEN_FLAGS_FOLLOWING : OPEN_FLAGS);
  } catch (error) {
    throw untrustedErrnoError(error, name);
  }
  try {
    const after = await handle.stat();
    if (!after.isFile()) throw refuseKind(after, name);
    if (after.dev !== before.dev || after.ino !== before.ino)
      throw new UntrustedFileError('FILE_CHANGED', `${name} was replaced while it was being opened`, name);
    if (after.size > maxBytes) throw tooLarge(name, after.size, maxBytes);
    if (options.within !== undefined) await assertOpenedWithin(handle, options.within, name);
    return { handle, size: after.size, stats: after };
  } catch (error) {
    await handle.close();
    throw untrustedErrnoError(error, name);
  }
}

/** Refuses an opened file that is not inside `within` by the path the system gives its descriptor. */
async function assertOpenedWithin(handle: FileHandle, within: string, name: string): Promise<void> {
  let actual: string;
  try {
    actual = await readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    return; // no /proc (not Linux): the component check before the open is all there is
  }
  const root = await realpath(within);
  const rel = relative(root, actual);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel))
    throw new UntrustedFileError(
      'FILE_CHANGED',
      `${name} was moved out of ${within} while it was being opened (a folder on its path was replaced, by a link?)`,
      name,
    );
}

/** The whole content of an untrusted regular file of at most `maxBytes` (it may not grow past it either). */
export async function readUntrustedFile(
  path: string,
  options: UntrustedOpenOptions & { maxBytes: number },
): Promise<Buffer> {
  const name = options.name ?? shortName(path, options.within);
  const { handle, size } = await openUntrusted(path, options);
  try {
    // One byte more than allowed tells a file that grew since fstat from one that did not.
    const buffer = Buffer.allocUnsafe(Math.min(options.maxBytes, Math.max(size, 0)) + 1);
    let total = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, total, buffer.length - total, total);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > options.maxBytes) throw tooLarge(name, total, options.maxBytes);
      if (total === buffer.length)
        throw new UntrustedFileError('FILE_CHANGED', `${name} grew while it was being read`, name);
    }
    return buffer.subarray(0, total);
  } catch (error) {
    throw untrustedErrnoError(error, name);
  } finally {
    await handle.close();
  }
}

export async function readUntrustedText(
  path: string,
  options: UntrustedOpenOptions & { maxBytes: number },
): Promise<string> {
  const bytes = await readUntrustedFile(path, options);
  // UTF-8; or UTF-16 when its byte order mark says so (a file written by Windows PowerShell 5).
  return decodeUtf16WithBom(bytes) ?? bytes.toString('utf8');
}

/**
 * {@link readUntrustedText}, or undefined when the file is not there (FILE_MISSING): for a file a service
 * keeps in its state folder or a shared folder (an outbox entry, a heartbeat, a lease, a download archive),
 * which another process, a user or a restore may have replaced with a FIFO, a link or a huge file. Every
 * other refusal is thrown, naming the file and why.
 */
export async function readUntrustedTextIfThere(
  path: string,
  options: UntrustedOpenOptions & { maxBytes: number },
): Promise<string | undefined> {
  try {
    return await readUntrustedText(path, options);
  } catch (error) {
    if (error instanceof UntrustedFileError && error.code === 'FILE_MISSING') return undefined;
    throw error;
  }
}

const APPEND_FLAGS =
  constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Appends to a file kept in a state or shared folder (a results log, a download archive), creating it:
 * never through a link (it would write outside), never waiting on a FIFO put in its place (opened without
 * blocking, then fstat must say regular file). Refusals are UntrustedFileErrors naming the file.
 */
export async function appendUntrustedFile(
  path: string,
  data: string | Buffer,
  options: { name?: string } = {},
): Promise<void> {
  const name = options.name ?? shortName(path);
  let handle: FileHandle;
  try {
    handle = await open(path, APPEND_FLAGS, 0o666);
  } catch (error) {
    throw untrustedErrnoError(error, name);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw refuseKind(info, name);
    await handle.appendFile(data);
  } catch (error) {
    throw untrustedErrnoError(error, name);
  } finally {
    await handle.close();
  }
}

/**
 * Refuses a file that is there but is not a regular file (a FIFO, a device, a folder, a symbolic link),
 * naming it and what it is; a missing file is fine (it will be created). For a file opened by a library
 * that takes a path (SQLite: the ledger, the receipts), which would fail with "disk I/O error" naming
 * nothing, or write through a link.
 */
export function assertRegularIfPresent(path: string, name = shortName(path)): void {
  let info: Stats;
  try {
    info = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw untrustedErrnoError(error, name);
  }
  if (!info.isFile()) throw refuseKind(info, name);
}
