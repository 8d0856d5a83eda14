import { lstat } from 'node:fs/promises';

/**
 * Whether something (a file, folder or link, even a dangling one) has this name. Only "not found" is
 * false; any other error (no permission, I/O) is thrown, not taken for "free".
 */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
