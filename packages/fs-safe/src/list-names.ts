import { readdir } from 'node:fs/promises';

/**
 * The names in a folder, or none when the folder is not there (ENOENT) or is a file (ENOTDIR): a queue,
 * archive or outputs folder that was never created is simply empty. Any other error (no permission, I/O)
 * is thrown, not taken for "empty".
 */
export async function listNamesOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
}
