import { lstat } from 'node:fs/promises';
import { isAbsentErrno } from '@imk/errors';

/**
 * Whether something (a file, folder or link, even a dangling one) has this name. Nothing there is false:
 * no entry (ENOENT), or a file where one of its folders should be (ENOTDIR: nothing can be below a file),
 * as @imk/errors' isAbsentErrno says for every "is it there?". Any other error (no permission, a link
 * loop, a name too long, I/O) is thrown, not taken for "free". A caller that goes on to create or move
 * something at an absent path below a file meets ENOTDIR itself, from that call, naming the path.
 */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if (isAbsentErrno(error)) return false;
    throw error;
  }
}
