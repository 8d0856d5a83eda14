import { link, rename, rm, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsyncDir, writeSyncedTemp } from './atomic.ts';
import { pathExists } from './exists.ts';

// Errors of link() where it cannot be used (a filesystem without hard links, some SMB/FAT mounts; a folder;
// a file of another user under fs.protected_hardlinks): fall back to a look, then rename.
const NO_HARD_LINK = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS']);

/**
 * Gives `from` the name `to` unless something (a file, folder or link) already has it: true when moved,
 * false when `to` was taken and nothing changed. link() refuses an existing name atomically (a link is
 * linked as a link, never followed); where it cannot be used, a look then rename (a name made in between
 * by another program is not seen). A crash between link and unlink leaves both names, never neither.
 * `from` may be a name's bytes (a name that is not UTF-8, which no string can spell).
 */
export async function moveNoClobber(from: string | Buffer, to: string): Promise<boolean> {
  try {
    await link(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NO_HARD_LINK.has(code)) throw error;
    if (await pathExists(to)) return false;
    await rename(from, to);
    return true;
  }
  await unlink(from);
  return true;
}

/**
 * Writes a new file `path` (a temp file beside it, fsynced, then linked under its name): false when the
 * name is taken, which is left as it was. A reader never sees a part, and nothing is replaced.
 */
export async function writeFileNoClobber(path: string, data: string | Uint8Array): Promise<boolean> {
  const dir = dirname(path);
  const temp = await writeSyncedTemp(path, data);
  try {
    if (!(await moveNoClobber(temp, path))) return false;
  } finally {
    await rm(temp, { force: true });
  }
  await fsyncDir(dir);
  return true;
}

export interface MoveToFreeNameOptions {
  /** The n-th name tried (n = 1, 2, …), as a full path; candidate(1) is the name wanted. */
  candidate: (n: number) => string;
  /**
   * A file written beside the moved one as `<its path><suffix>` (e.g. `.reason.txt`), claimed together with
   * it: the pair takes a number only when both names are free, so neither replaces a file already there.
   */
  companion?: { suffix: string; text: (placedAt: string) => string };
}

/**
 * Moves `from` to the first free name among `candidate(1)`, `candidate(2)`, … (with its companion file
 * when given) and returns where it went. Nothing already there is ever replaced.
 */
export async function moveToFreeName(from: string, options: MoveToFreeNameOptions): Promise<string> {
  const { companion } = options;
  for (let n = 1; ; n++) {
    const target = options.candidate(n);
    if (companion === undefined) {
      if (await moveNoClobber(from, target)) {
        await fsyncDir(dirname(target));
        return target;
      }
      continue;
    }
    // The companion first: should the move then fail (or the process die), the file is still where it was.
    const beside = `${target}${companion.suffix}`;
    if (!(await writeFileNoClobber(beside, companion.text(target)))) continue;
    let moved: boolean;
    try {
      moved = await moveNoClobber(from, target);
    } catch (error) {
      await rm(beside, { force: true });
      throw error;
    }
    if (moved) {
      await fsyncDir(dirname(target));
      return target;
    }
    await rm(beside, { force: true }); // ours, written a moment ago: the pair moves on to the next number
  }
}
