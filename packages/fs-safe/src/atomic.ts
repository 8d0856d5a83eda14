import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fitName } from './file-name.ts';
import { writeError } from './write-error.ts';

/** fsync one file so its bytes survive a power cut. */
export async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync a folder so that names created or renamed in it survive a power cut. */
export async function fsyncDir(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
    await handle.sync();
  } catch (error) {
    // Some filesystems (and SMB mounts) refuse fsync on a directory; the data itself was synced.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'ENOTSUP') throw error;
  } finally {
    await handle?.close();
  }
}

export interface FsyncTreeOptions {
  /** Also fsync the files (false when they were synced as they were written: only the folders then). @default true */
  files?: boolean;
}

/** fsync every file and folder below `root`, deepest first, then `root` itself. */
export async function fsyncTree(root: string, options: FsyncTreeOptions = {}): Promise<void> {
  const entries = await readdir(root, { withFileTypes: true });
  for (const entry of entries) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) await fsyncTree(path, options);
    else if (entry.isFile() && options.files !== false) await fsyncFile(path);
  }
  await fsyncDir(root);
}

export interface WriteFileAtomicOptions {
  /**
   * Permission bits of the new file (umask not applied), e.g. those of the file it replaces, so that a
   * user's private file (0600) does not become readable by all. @default 0o666 less the umask
   */
  mode?: number;
}

/**
 * Writes a file so that a reader sees the old content or the new, never a part: a temp file beside it,
 * fsynced, renamed over the target, and the folder fsynced.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  const dir = dirname(path);
  const temp = await writeSyncedTemp(path, data, options.mode);
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDir(dir);
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Writes `data` to a new temp file beside `path` (a hidden name with the pid and random bytes), fsynced and
 * closed, with `mode` when given (exactly: chmod, not masked by the umask), and returns its path; on a
 * failure nothing is left behind. The caller moves it into place.
 */
export async function writeSyncedTemp(
  path: string,
  data: string | Uint8Array,
  mode?: number,
): Promise<string> {
  const tail = `.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  // Cut so that the temp name fits where `path` fits: a 250-byte name must not fail as ENAMETOOLONG here.
  const temp = join(dirname(path), `.${fitName(basename(path), tail, 1)}`);
  const handle = await open(temp, 'wx', mode ?? 0o666).catch((error: unknown) => {
    throw writeError(path, error);
  });
  try {
    if (mode !== undefined) await handle.chmod(mode);
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    // Named by the file it was to become: the temp name means nothing to a user.
    throw writeError(path, error);
  }
  await handle.close();
  return temp;
}
