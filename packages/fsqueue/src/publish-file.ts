import { lstat, mkdir, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ImkError, errorMessage, isImkError, isRetryableError } from '@imk/errors';
import {
  copyOpenedFile,
  fsyncFile,
  openUntrusted,
  sha256Buffer,
  sha256AndBytes,
  type UntrustedOpenOptions,
} from '@imk/fs-safe';
import { checkDeclared } from './publish-declared.ts';
import type { BundleFileInput } from './publish.ts';
import { writeSynced } from './publish-tmp.ts';
import './errors.ts';

/** Copies, moves or writes one file into the bundle being written; returns its files[] entry. */
export async function addFile(
  tmp: string,
  file: BundleFileInput,
): Promise<{ path: string; sha256: string; bytes: number }> {
  const target = join(tmp, file.name);
  await mkdir(dirname(target), { recursive: true });
  if ('data' in file) {
    await writeSynced(target, file.data);
    const bytes = typeof file.data === 'string' ? Buffer.byteLength(file.data) : file.data.byteLength;
    return { path: file.name, sha256: sha256Buffer(file.data), bytes };
  }
  if (file.within !== undefined) {
    await copyChecked(file.source, target, file.name, { within: file.within, name: file.source });
    await fsyncFile(target);
    return checkDeclared(file, { path: file.name, ...(await sha256AndBytes(target)) });
  }
  // A link is followed (the producer's or the user's to make: `imk enqueue song.wav --cover pic.jpg`), but
  // only to a regular file, checked without blocking: a FIFO or a device would block or never end the copy.
  const info = await lstat(file.source).catch((error: unknown) => {
    throw new ImkError('SOURCE_MISSING', `cannot read ${file.source} for bundle file ${file.name}`, {
      cause: error,
    });
  });
  if (!info.isFile() && !info.isSymbolicLink())
    throw new ImkError('SOURCE_NOT_FILE', `${file.source} is not a regular file (bundle file ${file.name})`);
  // A move renames the name's own file: a link would have been moved as the link (a bundle holding a link,
  // which consumers refuse), or across filesystems copied as what it leads to by then.
  if (file.move === true && info.isSymbolicLink())
    throw new ImkError(
      'SOURCE_NOT_FILE',
      `${file.source} (bundle file ${file.name}) is a symbolic link; a file given with move is renamed into the bundle and must be a regular file: add it without move to copy what the link leads to`,
    );
  if (info.isSymbolicLink())
    await openUntrusted(file.source, { followLinks: true }).then(
      ({ handle }) => handle.close(),
      (error: unknown) => {
        throw new ImkError(
          isImkError(error, 'FILE_MISSING') ? 'SOURCE_MISSING' : 'SOURCE_NOT_FILE',
          `${file.source} (bundle file ${file.name}) leads to no regular file: ${errorMessage(error)}`,
          { cause: error },
        );
      },
    );
  if (file.move) await moveFile(file.source, target, file.name);
  // Copied from the descriptor opened and checked (a regular file, links followed), never by name again:
  // a source swapped for a FIFO since the checks above would block the copy (and the producer) forever.
  else await copyChecked(file.source, target, file.name, { followLinks: true, name: file.source });
  await fsyncFile(target);
  // Size and hash of one read of the copy: the bundle's files[] records them together.
  return checkDeclared(file, { path: file.name, ...(await sha256AndBytes(target)) });
}

async function moveFile(source: string, target: string, name: string): Promise<void> {
  try {
    await rename(source, target);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
  }
  // Another filesystem: copied from a descriptor opened and checked (a regular file, no link followed, as
  // rename follows none), never by name again: copyFile by name opened whatever the name stood for by then
  // (a FIFO swapped in blocked the producer forever, a link to another file of this host had that file
  // copied into the bundle). The copy is made durable by the caller.
  const copied = await copyChecked(source, target, name, { name: source });
  // Removed only while its name still stands for the file copied, never a file put in its place since.
  const now = await lstat(source).catch(() => undefined);
  if (now !== undefined && now.dev === copied.dev && now.ino === copied.ino) await unlink(source);
}

/**
 * Copies a bundle file's source to `target` from a descriptor opened the untrusted way (`open`): one the
 * open refuses (a link, a FIFO, a folder on its path leading out) cannot be taken (untakable); trouble
 * while copying it is said as notCopied. Returns the device and inode of the file copied.
 */
async function copyChecked(
  source: string,
  target: string,
  name: string,
  open: UntrustedOpenOptions,
): Promise<{ dev: number; ino: number }> {
  let opened;
  try {
    opened = await openUntrusted(source, open);
  } catch (error) {
    throw untakable(source, name, error);
  }
  try {
    await copyOpenedFile(opened.handle, target, { name: source, since: opened.stats });
  } catch (error) {
    throw notCopied(source, name, error);
  } finally {
    await opened.handle.close();
  }
  return { dev: opened.stats.dev, ino: opened.stats.ino };
}

/**
 * A source opened and checked whose copy failed. Passing trouble keeps its own code, whose catalogue
 * policy says to try again: a file written to while it was copied (FILE_CHANGED, an editor saving it, a
 * script still appending), a read that failed (FILE_READ_FAILED). The producer then takes it again later,
 * where SOURCE_NOT_FILE (a fact about the file) had it set aside for good (the inbox rejected the song).
 * A write of the copy that failed is the queue's trouble, not the source's.
 */
function notCopied(source: string, name: string, error: unknown): Error {
  // Not the source's: a write of the copy that failed (the queue's disk full: fs-safe writeError, naming
  // the file in the queue, its errno kept as its code), thrown as it is.
  if (error instanceof Error && !isImkError(error)) return error;
  if (!isImkError(error) || isRetryableError(error) !== true) return untakable(source, name, error);
  return new ImkError(
    error.code,
    `${source} (bundle file ${name}) cannot be taken now: ${errorMessage(error)}`,
    {
      cause: error,
    },
  );
}

/** A bundle file's source that could not be taken, naming it and the bundle file. */
function untakable(source: string, name: string, error: unknown): ImkError {
  return new ImkError(
    isImkError(error, 'FILE_MISSING') ? 'SOURCE_MISSING' : 'SOURCE_NOT_FILE',
    `${source} (bundle file ${name}) cannot be taken: ${errorMessage(error)}`,
    { cause: error },
  );
}
