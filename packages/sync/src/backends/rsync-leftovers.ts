import type { Stats } from 'node:fs';
import { lstat, readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isTempName } from '../util/remote-path.ts';

/**
 * What an interrupted rsync leaves in a destination folder on this host, all under names of ours (never a
 * delivered file): its partial copies in `<folder>/<partialDir>/.<name>.<sha>.imk-tmp` (--partial-dir),
 * our temp name `<folder>/.<name>.<sha>.imk-tmp` (copied, not yet verified and renamed), and rsync's own
 * in-flight temp of that name, `<folder>/..<name>.<sha>.imk-tmp.XXXXXX` (left when rsync was killed).
 */
const isOurs = (name: string): boolean => name.startsWith('.') && isTempName(name);
/** Our temp name, or rsync's own temp of it (`.<temp name>.XXXXXX`). */
const isOursOrRsyncs = (name: string): boolean =>
  isOurs(name) || (name.startsWith('..') && isOurs(name.slice(1).replace(/\.[A-Za-z0-9]{6}$/, '')));

export interface RsyncLeftover {
  path: string;
  bytes: number;
  ageMs: number;
}

export interface SweepRsyncLeftoversOptions {
  /** Folders delivered to (absolute paths on this host). */
  dirs: Iterable<string>;
  /** The backend's partialDir (its folder name beside each file). */
  partialDir: string;
  /** Only leftovers not written to for longer than this are taken (a transfer may be running). */
  olderThanMs: number;
  /** Report what would go, remove nothing. @default false */
  dryRun?: boolean;
  /** @default Date.now() */
  now?: number;
}

/**
 * Removes (or, dry-run, lists) the leftovers above older than `olderThanMs` in each folder, then the
 * partial folder when it is empty: for `imk cleanup`, since the pass that made them (a crash, a SIGKILL,
 * a route changed since) may never write to that folder again to sweep them itself (rsync-partials.ts).
 * Only regular files are taken; a link, or a partial folder that is a link, is never followed. What cannot
 * be read or removed is kept and said in `problems`.
 */
export async function sweepRsyncLeftovers(
  options: SweepRsyncLeftoversOptions,
): Promise<{ removed: RsyncLeftover[]; problems: { path: string; message: string }[] }> {
  const now = options.now ?? Date.now();
  const removed: RsyncLeftover[] = [];
  const problems: { path: string; message: string }[] = [];
  const take = async (path: string): Promise<void> => {
    let info: Stats;
    try {
      info = await lstat(path);
    } catch {
      return; // gone meanwhile
    }
    const ageMs = now - info.mtimeMs;
    if (!info.isFile() || ageMs <= options.olderThanMs) return;
    try {
      if (options.dryRun !== true) await rm(path, { force: true });
      removed.push({ path, bytes: info.size, ageMs });
    } catch (error) {
      problems.push({ path, message: (error as Error).message });
    }
  };
  for (const dir of new Set(options.dirs)) {
    for (const name of await namesOf(dir, problems)) if (isOursOrRsyncs(name)) await take(join(dir, name));
    const partials = join(dir, options.partialDir);
    const info = await lstat(partials).catch(() => undefined);
    if (!info?.isDirectory()) continue;
    for (const name of await namesOf(partials, problems)) if (isOurs(name)) await take(join(partials, name));
    if (options.dryRun !== true) await rmdir(partials).catch(() => undefined);
  }
  return { removed, problems };
}

async function namesOf(dir: string, problems: { path: string; message: string }[]): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR')
      problems.push({ path: dir, message: (error as Error).message });
    return [];
  }
}
