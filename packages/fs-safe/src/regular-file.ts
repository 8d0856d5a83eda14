import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { markSaidAs } from '@imk/errors';
import { describeKind } from './file-kind.ts';

/** The error of {@link readRegularFile} for a file that is not a regular file (BSD's "wrong file type"). */
export const NOT_REGULAR_FILE = 'EFTYPE';

/** The error of {@link readRegularFile} for a file larger than {@link REGULAR_FILE_MAX_BYTES}. */
export const FILE_TOO_BIG = 'EFBIG';

/**
 * Largest file read whole by {@link readRegularFile}: config files, tokens, keys, cookies and known_hosts
 * are kilobytes; a multi-gigabyte (sparse) file named by mistake would otherwise be loaded whole.
 */
export const REGULAR_FILE_MAX_BYTES = 16 * 1024 * 1024;

/**
 * The text of a file the user's own configuration names (a config file, a token, an ARL, a cookies file, a
 * secret): untrusted.ts is for files someone else wrote, and refuses links and caps the size.
 * Opened without blocking and checked with fstat before anything is read: reading a named pipe or a
 * device waits forever for a writer, which would hang a service or `imk doctor` without a word. A link to
 * a regular file is fine (mounted secrets and ConfigMaps are links). Throws the usual errno errors
 * (ENOENT, EACCES…), one with code {@link NOT_REGULAR_FILE} whose message says what the file is, and one
 * with code {@link FILE_TOO_BIG} past {@link REGULAR_FILE_MAX_BYTES}.
 */
export async function readRegularFile(file: string): Promise<string> {
  const handle = await openRegularFile(file, REGULAR_FILE_MAX_BYTES);
  try {
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * A handle of `file` for reading once fstat says it is a regular file, opened without blocking (links
 * followed: a file of ours or the user's, not someone else's, for which see openUntrusted). The caller
 * closes it. Throws as {@link readRegularFile}: a FIFO put where a file of ours was is refused at once
 * rather than waited on for ever.
 */
export async function openRegularFile(
  file: string,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<FileHandle> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    requireRegular(file, await handle.stat(), maxBytes);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** {@link readRegularFile}, synchronously (config files and secrets read before anything async runs). */
export function readRegularFileSync(file: string): string {
  const { fd } = openRegularFileSync(file, REGULAR_FILE_MAX_BYTES);
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * A file descriptor of `file` for reading, and its size, once fstat says it is a regular file: opened
 * without blocking (as {@link readRegularFile}), for a caller that reads part of a large file (a model's
 * tail). The caller closes it. Throws as {@link readRegularFile}.
 */
export function openRegularFileSync(
  file: string,
  maxBytes = Number.POSITIVE_INFINITY,
): { fd: number; size: number } {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = fstatSync(fd);
    requireRegular(file, stats, maxBytes);
    return { fd, size: stats.size };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

function requireRegular(file: string, stats: Stats, maxBytes: number): void {
  if (!stats.isFile())
    throw Object.assign(new Error(`${file} is ${describeKind(stats)}, not a regular file`), {
      code: NOT_REGULAR_FILE,
    });
  if (stats.size > maxBytes)
    throw Object.assign(
      new Error(`${file} is too large (${stats.size} bytes; at most ${maxBytes} are read here)`),
      { code: FILE_TOO_BIG },
    );
}

/**
 * Why a file named by the configuration could not be read, in a few words for a message: what it is when
 * it is not a regular file ("a folder, not a regular file"), else its errno code and what the code means
 * ("ENOENT: no such file or directory", without the path the message names already). The error is
 * noted as said in those words (markSaidAs), so that errorMessage does not append it to a message that
 * says it again.
 */
export function fileReadProblem(error: unknown): string {
  const { code, message, syscall } = error as NodeJS.ErrnoException;
  let problem: string;
  if (code === NOT_REGULAR_FILE || code === FILE_TOO_BIG)
    problem = message.slice(message.lastIndexOf(' is ') + 4);
  else if (code === undefined) problem = 'error';
  else {
    // Node's errno messages: "ENOENT: no such file or directory, open '/path'".
    const end = syscall === undefined ? -1 : message.lastIndexOf(`, ${syscall}`);
    problem = message.startsWith(`${code}: `) && end > code.length ? message.slice(0, end) : code;
  }
  if (code !== undefined) markSaidAs(error, problem);
  return problem;
}
