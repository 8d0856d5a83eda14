import type { Stats } from 'node:fs';
import { lstat, readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TEMP_SUFFIX, isTempName } from '../util/remote-path.ts';
import type { ToolResult } from '../util/run-tool.ts';

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
  /** Said after each file-system call (the helper's sign of progress: local-helper.ts). */
  progress?: () => void;
}

export type RsyncSweep = { removed: RsyncLeftover[]; problems: { path: string; message: string }[] };

/**
 * The sweep of folders on this host one folder at a time, each through `sweepOne` (the rsync backend's
 * helper, watched: a folder on a share that stops answering fails its call, UNREACHABLE naming it, and is
 * kept and said in `problems`; the backend's later folders then fail at once rather than wait).
 */
export async function sweepFoldersOneByOne(
  folders: Iterable<string>,
  sweepOne: (folder: string) => Promise<RsyncSweep>,
): Promise<RsyncSweep> {
  const swept: RsyncSweep = { removed: [], problems: [] };
  for (const folder of new Set(folders)) {
    try {
      const done = await sweepOne(folder);
      swept.removed.push(...done.removed);
      swept.problems.push(...done.problems);
    } catch (error) {
      swept.problems.push({ path: folder, message: (error as Error).message });
    }
  }
  return swept;
}

/**
 * Removes (or, dry-run, lists) the leftovers above older than `olderThanMs` in each folder, then the
 * partial folder when it is empty: for `imk cleanup`, since the pass that made them (a crash, a SIGKILL,
 * a route changed since) may never write to that folder again to sweep them itself (rsync-partials.ts).
 * Only regular files are taken; a link, or a partial folder that is a link, is never followed. What cannot
 * be read or removed is kept and said in `problems`. Its calls on a share that stopped answering never
 * return: the rsync backend runs it in its helper process, watched (rsync.ts sweepLeftovers).
 */
export async function sweepRsyncLeftovers(options: SweepRsyncLeftoversOptions): Promise<RsyncSweep> {
  const now = options.now ?? Date.now();
  const progress = options.progress ?? (() => undefined);
  const removed: RsyncLeftover[] = [];
  const problems: { path: string; message: string }[] = [];
  const take = async (path: string): Promise<void> => {
    let info: Stats;
    try {
      info = await lstat(path);
    } catch {
      return; // gone meanwhile
    } finally {
      progress();
    }
    const ageMs = now - info.mtimeMs;
    if (!info.isFile() || ageMs <= options.olderThanMs) return;
    try {
      if (options.dryRun !== true) await rm(path, { force: true });
      progress();
      removed.push({ path, bytes: info.size, ageMs });
    } catch (error) {
      problems.push({ path, message: (error as Error).message });
    }
  };
  for (const dir of new Set(options.dirs)) {
    const names = await namesOf(dir, problems);
    progress();
    for (const name of names) if (isOursOrRsyncs(name)) await take(join(dir, name));
    const partials = join(dir, options.partialDir);
    const info = await lstat(partials).catch(() => undefined);
    progress();
    if (!info?.isDirectory()) continue;
    const partialNames = await namesOf(partials, problems);
    progress();
    for (const name of partialNames) if (isOurs(name)) await take(join(partials, name));
    if (options.dryRun !== true) await rmdir(partials).catch(() => undefined);
    progress();
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

// Arguments: age limit (s), dry run (1/0), partial folder name, then the folders. The same leftovers as
// sweepRsyncLeftovers, on the server: regular files only (a link is never followed nor removed), older than
// the limit by their mtime. Prints one line per leftover: GONE, age (s), bytes, path; or KEPT and the path.
const REMOTE_SWEEP_SCRIPT = [
  'age=$1; dry=$2; pd=$3; shift 3; now=$(date +%s)',
  'take() { [ -L "$1" ] && return; [ -f "$1" ] || return',
  '  m=$(date -r "$1" +%s 2>/dev/null) || return; a=$((now - m)); [ "$a" -gt "$age" ] || return',
  '  b=$(wc -c < "$1" | tr -d " ")',
  '  if [ "$dry" = 0 ] && ! rm -f -- "$1" 2>/dev/null; then printf \'KEPT\t%s\n\' "$1"; return; fi',
  '  printf \'GONE\t%s\t%s\t%s\n\' "$a" "$b" "$1"; }',
  'for d in "$@"; do',
  '  [ -d "$d" ] || continue',
  `  for f in "$d"/.*${TEMP_SUFFIX} "$d"/..*${TEMP_SUFFIX}.??????; do take "$f"; done`,
  '  p="$d/$pd"; { [ -L "$p" ] || [ ! -d "$p" ]; } && continue',
  `  for f in "$p"/.*${TEMP_SUFFIX}; do take "$f"; done`,
  '  [ "$dry" = 0 ] && rmdir -- "$p" 2>/dev/null',
  'done',
  'true',
].join('\n');

/**
 * sweepRsyncLeftovers for an rsync backend over ssh: the same leftovers, by the same rules, found and removed
 * on the server by one sh script (`run` runs a command there). Paths are the server's.
 */
export async function sweepRemoteRsyncLeftovers(
  run: (words: string[]) => Promise<ToolResult>,
  options: SweepRsyncLeftoversOptions,
): Promise<{ removed: RsyncLeftover[]; problems: { path: string; message: string }[] }> {
  const dirs = [...new Set(options.dirs)];
  if (dirs.length === 0) return { removed: [], problems: [] };
  const ageSec = Math.max(0, Math.floor(options.olderThanMs / 1000));
  const result = await run([
    'sh',
    '-c',
    REMOTE_SWEEP_SCRIPT,
    'sweep',
    String(ageSec),
    options.dryRun === true ? '1' : '0',
    options.partialDir,
    ...dirs,
  ]);
  if (result.exitCode !== 0)
    return {
      removed: [],
      problems: dirs.map((path) => ({
        path,
        message: `the leftover sweep on the server failed: ${result.stderr.trim() || `exit code ${result.exitCode}`}`,
      })),
    };
  const removed: RsyncLeftover[] = [];
  const problems: { path: string; message: string }[] = [];
  for (const line of result.stdout.split('\n')) {
    const [verdict, ...rest] = line.split('\t');
    if (verdict === 'GONE' && rest.length >= 3) {
      const [age, bytes, ...path] = rest;
      removed.push({ path: path.join('\t'), bytes: Number(bytes), ageMs: Number(age) * 1000 });
    } else if (verdict === 'KEPT')
      problems.push({ path: rest.join('\t'), message: 'the server did not remove it' });
  }
  return { removed, problems };
}
