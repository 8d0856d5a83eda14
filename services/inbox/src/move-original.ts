import { randomBytes } from 'node:crypto';
import { lstat, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { isAbsentErrno } from '@imk/errors';
import { fsyncDir, moveNoClobber, moveToFreeName, type MoveToFreeNameOptions } from '@imk/fs-safe';

/** A file's identity: its device and inode, as fstat of the descriptor that was read gave them. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

const same = (a: FileIdentity, b: FileIdentity): boolean => a.dev === b.dev && a.ino === b.ino;

/**
 * Moves `inbox/name` to `folder` (options.candidate, as moveToFreeName) only when it is still the file that
 * was read (`original`): a take reads the song through one descriptor, and moves it by name once the job is
 * queued, seconds later. A file saved over that name meanwhile (the next song, copied in under the same
 * name) is another song: it stays in the inbox, under its name, and a later look takes it. Returns where
 * the original went, or undefined when it is no longer in the inbox (the name was replaced, or removed).
 *
 * No system call renames a name only if it is a given inode, so whatever has the name is first renamed, as
 * one step, to a hidden name in `folder` (the same mount), and looked at there: the original goes on to its
 * place, anything else (saved over the name between the look and the rename) goes back, never over a file
 * that took the name since (then `setAside`). Nothing is ever unlinked or replaced. A process killed in
 * between leaves the file as `folder/.moving-<random>`, never lost.
 */
export async function moveOriginal(
  inbox: string,
  name: string,
  folder: string,
  original: FileIdentity,
  options: MoveToFreeNameOptions,
  /**
   * Where a file that took the name goes when a third file has taken it again by the time it would go back
   * (it is not replaced, and not deleted): the inbox sets it aside in `.rejected/`, saying so.
   */
  setAside: (held: string) => Promise<unknown>,
): Promise<string | undefined> {
  const from = join(inbox, name);
  const now = await lstat(from).catch((error: unknown) => {
    if (isAbsentErrno(error)) return undefined;
    throw error;
  });
  if (now === undefined || !same(now, original)) return undefined;
  const held = join(folder, `.moving-${randomBytes(6).toString('hex')}`);
  try {
    await rename(from, held);
  } catch (error) {
    if (isAbsentErrno(error)) return undefined;
    throw error;
  }
  const taken = await lstat(held);
  if (same(taken, original)) return moveToFreeName(held, options);
  // Replaced between the look and the rename: the newcomer goes back where it was, never over anything.
  if (await moveNoClobber(held, from)) await fsyncDir(inbox);
  else await setAside(held);
  return undefined;
}
