import { readdir } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { isAbsentErrno } from '@imk/errors';

/** A folder that is not there (ENOENT) or is a file (ENOTDIR): listed as empty; anything else is thrown. */
function emptyWhenAbsent<T>(error: unknown): T[] {
  if (isAbsentErrno(error)) return [];
  throw error;
}

/**
 * The names in a folder, or none when the folder is not there (ENOENT) or is a file (ENOTDIR): a queue,
 * archive or outputs folder that was never created is simply empty. Any other error (no permission, I/O)
 * is thrown, not taken for "empty".
 */
export async function listNamesOrEmpty(dir: string): Promise<string[]> {
  return readdir(dir).catch(emptyWhenAbsent<string>);
}

/** The entries of a folder with their kinds (`Dirent`s), or none, as listNamesOrEmpty says. */
export async function listEntriesOrEmpty(dir: string): Promise<Dirent[]> {
  return readdir(dir, { withFileTypes: true }).catch(emptyWhenAbsent<Dirent>);
}
