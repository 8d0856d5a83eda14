import type { Stats } from 'node:fs';
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isAbsentErrno } from '@imk/errors';
import { CLOCK_CHECK_PREFIX, fileSystemNow } from '@imk/fs-safe';

/** One kind of thing that retention keeps in check: a set of folders whose children expire. */
export interface RetentionTarget {
  /** What the entries are, for the report: "archives", "caches", "temp". */
  name: string;
  /** Folders whose direct children are the entries. Missing folders are skipped. */
  dirs: string[];
  /** Which children of `dir` count (e.g. names ending in `.tmp`). @default every child */
  include?: (name: string, dir: string) => boolean;
  /**
   * Which of `dirs` may be symbolic links (folders the user configured, e.g. a stem cache moved by
   * config). Any other one that is a link is not read: cleanup never deletes through a link it did not
   * choose (it is reported as a problem instead). @default none
   */
  mayBeLink?: (dir: string) => boolean;
  /**
   * Which of the entries (by name) of `dir` are kept whatever their age and size (counted, never removed):
   * e.g. the newest copy of each file. @default none
   */
  keep?: (names: string[], dir: string) => Set<string>;
  /**
   * Why an entry due to go must stay (e.g. a replaced output folder holding a user's file), or undefined:
   * asked only of entries the limits would remove. A held entry is counted, kept and named in the plan's
   * `held`, with the reason. @default none
   */
  hold?: (path: string) => Promise<string | undefined>;
  /** Entries older than this are removed. @default no age limit */
  maxAgeMs?: number;
  /** Then the oldest entries are removed until the rest fit in this many bytes. @default no size limit */
  maxTotalBytes?: number;
}

export interface CleanupEntry {
  target: string;
  path: string;
  bytes: number;
  ageMs: number;
  reason: 'age' | 'size';
}

/** An entry or folder cleanup could not read or remove (kept as it is; the rest of the pass goes on). */
export interface CleanupProblem {
  target: string;
  path: string;
  /** What went wrong, e.g. `EACCES: permission denied, scandir '…'`. */
  message: string;
}

export interface CleanupPlan {
  remove: CleanupEntry[];
  /** Folders and entries that could not be read, so were neither measured nor planned. */
  problems: CleanupProblem[];
  /** Per target: entries and bytes seen, and what remains after the plan. */
  targets: { name: string; entries: number; bytes: number; keptBytes: number }[];
  /**
   * Folders whose file system's clock could not be read (a folder this user cannot write to): the ages of
   * their entries were measured on this host's clock instead, with why.
   */
  hostClock: { dir: string; message: string }[];
  /** Entries past their limits that are kept, each with why (RetentionTarget.hold): said, not removed. */
  held: { target: string; path: string; reason: string }[];
}

export interface PlanOptions {
  /**
   * "Now" for every folder, on the file systems' clocks (a pass as if run later). @default each folder's
   * file system's own "now" (fileSystemNow), read once per folder per pass; this host's clock only where
   * that cannot be read.
   */
  now?: number;
}

interface Entry {
  path: string;
  bytes: number;
  ageMs: number;
  /** Named by the target's `keep`: never removed. */
  kept?: boolean;
}

/**
 * Decides what to delete; reads but never deletes, so `--dry-run` shows exactly what a real run does.
 *
 * An entry's age is measured on the clock that stamped its times: its folder's file system's (a file
 * server's, for a share), never this host's. A host a day ahead of the file server deleted archives,
 * caches and leftovers a day early (a scratch folder of a job running now, with a one-day temp limit);
 * one behind kept them past their limit.
 */
export async function planCleanup(
  targets: RetentionTarget[],
  options: PlanOptions = {},
): Promise<CleanupPlan> {
  const plan: CleanupPlan = { remove: [], problems: [], targets: [], hostClock: [], held: [] };
  const clocks = new Map<string, Promise<number>>();
  const nowIn = (dir: string): Promise<number> => {
    if (options.now !== undefined) return Promise.resolve(options.now);
    let now = clocks.get(dir);
    if (now === undefined) {
      now = fileSystemNow(dir).catch((error: unknown) => {
        // A folder this user may read but not write (a read-only share, another user's folder).
        plan.hostClock.push({ dir, message: messageOf(error) });
        return Date.now();
      });
      clocks.set(dir, now);
    }
    return now;
  };
  for (const target of targets) {
    const problems: CleanupProblem[] = [];
    const entries = await listEntries(target, nowIn, problems);
    // A folder read by two targets (caches and their temp leftovers) is reported once.
    for (const problem of problems)
      if (!plan.problems.some((p) => p.path === problem.path)) plan.problems.push(problem);
    const total = entries.reduce((sum, e) => sum + e.bytes, 0);
    const keep: Entry[] = [];
    const removal = (entry: Entry, reason: CleanupEntry['reason']): CleanupEntry => ({
      target: target.name,
      path: entry.path,
      bytes: entry.bytes,
      ageMs: entry.ageMs,
      reason,
    });
    // An entry the limits would remove that must stay (target.hold): kept, and said why. A hold that cannot
    // be judged (its folder unreadable) keeps it too, as a problem.
    const held = async (entry: Entry): Promise<boolean> => {
      if (target.hold === undefined) return false;
      try {
        const reason = await target.hold(entry.path);
        if (reason === undefined) return false;
        plan.held.push({ target: target.name, path: entry.path, reason });
      } catch (error) {
        if (isGone(error)) return false;
        plan.problems.push({ target: target.name, path: entry.path, message: messageOf(error) });
      }
      entry.kept = true;
      return true;
    };
    for (const entry of entries) {
      if (
        entry.kept !== true &&
        target.maxAgeMs !== undefined &&
        entry.ageMs > target.maxAgeMs &&
        !(await held(entry))
      )
        plan.remove.push(removal(entry, 'age'));
      else keep.push(entry);
    }
    let kept = keep.reduce((sum, e) => sum + e.bytes, 0);
    if (target.maxTotalBytes !== undefined) {
      // Oldest first, until what is left fits.
      for (const entry of [...keep].sort((a, b) => b.ageMs - a.ageMs)) {
        if (kept <= target.maxTotalBytes) break;
        if (entry.kept === true || (await held(entry))) continue;
        plan.remove.push(removal(entry, 'size'));
        kept -= entry.bytes;
      }
    }
    plan.targets.push({ name: target.name, entries: entries.length, bytes: total, keptBytes: kept });
  }
  return plan;
}

/**
 * Deletes what the plan names. Returns the entries it removed (an entry already gone counts as removed)
 * and those it could not remove entirely (e.g. a folder inside owned by another user), after trying
 * every one: one such entry never stops the others from going.
 */
export async function applyCleanup(
  plan: CleanupPlan,
): Promise<{ removed: CleanupEntry[]; problems: CleanupProblem[] }> {
  const removed: CleanupEntry[] = [];
  const problems: CleanupProblem[] = [];
  for (const entry of plan.remove) {
    try {
      // rm does not follow symbolic links: a link is removed, never what it points to.
      await rm(entry.path, { recursive: true, force: true });
      removed.push(entry);
    } catch (error) {
      problems.push({ target: entry.target, path: entry.path, message: messageOf(error) });
    }
  }
  return { removed, problems };
}

const LINKED_DIR =
  'is a symbolic link, not followed: cleanup never deletes through a link (make it a real folder, or remove the link)';

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Absent (ENOENT, ENOTDIR): removed meanwhile (by its owner, or another cleanup), which is no problem. */
const isGone = isAbsentErrno;

async function listEntries(
  target: RetentionTarget,
  nowIn: (dir: string) => Promise<number>,
  problems: CleanupProblem[],
): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (const dir of target.dirs) {
    let names: string[];
    try {
      if (!target.mayBeLink?.(dir) && (await lstat(dir)).isSymbolicLink()) {
        problems.push({ target: target.name, path: dir, message: LINKED_DIR });
        continue;
      }
      names = await readdir(dir);
    } catch (error) {
      if (!isGone(error)) problems.push({ target: target.name, path: dir, message: messageOf(error) });
      continue;
    }
    // Another pass's (or service's) look at the file system's clock, there for a moment: not an entry.
    const listed = names.filter((name) => !name.startsWith(CLOCK_CHECK_PREFIX));
    const included = target.include ? listed.filter((name) => target.include!(name, dir)) : listed;
    const keep = target.keep?.(included, dir) ?? new Set<string>();
    // Read once the folder has an entry to age: the ages of its entries are measured on this clock.
    const now = included.length > 0 ? await nowIn(dir) : 0;
    for (const name of included) {
      const path = join(dir, name);
      try {
        const tree = await describeTree(path, now);
        entries.push({
          path,
          bytes: tree.bytes,
          ageMs: Math.max(0, now - tree.changedMs),
          ...(keep.has(name) ? { kept: true } : {}),
        });
      } catch (error) {
        // Unreadable somewhere inside: neither its size nor its age is known, so it is kept.
        if (!isGone(error)) problems.push({ target: target.name, path, message: messageOf(error) });
      }
    }
  }
  return entries;
}

/**
 * When an inode last changed, as far as this host can tell: the newer of its modification and change
 * times (ctime moves when an entry is renamed into place, i.e. archived; mtime when content changes). A
 * modification time in the future (a file copied with the times of a host whose clock was ahead, or set
 * by hand) is not trusted, since it would keep the entry forever: the change time, which only the kernel
 * sets, counts instead.
 */
function changedAt(info: Stats, now: number): number {
  return info.mtimeMs <= now ? Math.max(info.mtimeMs, info.ctimeMs) : info.ctimeMs;
}

/**
 * Bytes that removing a file or folder tree frees, and the last change anywhere in it, without following
 * symbolic links. An entry's age counts from that last change: a folder whose files are still being
 * written (a running job's unfinished output or scratch folder, deep inside) is young, whatever its own
 * times say. A file with several hard links (a duplicate job's outputs link to the earlier job's) frees
 * its bytes only when every link is inside the tree; otherwise it counts for nothing, so the size limit
 * and the report never count bytes that removing the entry would not free.
 */
async function describeTree(path: string, now: number): Promise<{ bytes: number; changedMs: number }> {
  const linked = new Map<string, { size: number; links: number; seen: number }>();
  const walk = async (at: string): Promise<{ bytes: number; changedMs: number }> => {
    const info = await lstat(at);
    let changedMs = changedAt(info, now);
    if (!info.isDirectory()) {
      if (info.nlink <= 1) return { bytes: info.size, changedMs };
      const key = `${info.dev}:${info.ino}`;
      const inode = linked.get(key) ?? { size: info.size, links: info.nlink, seen: 0 };
      inode.seen++;
      linked.set(key, inode);
      return { bytes: 0, changedMs };
    }
    let bytes = 0;
    let names: string[] = [];
    try {
      names = await readdir(at);
    } catch (error) {
      if (!isGone(error)) throw error;
    }
    for (const name of names) {
      try {
        const child = await walk(join(at, name));
        bytes += child.bytes;
        changedMs = Math.max(changedMs, child.changedMs);
      } catch (error) {
        if (!isGone(error)) throw error;
      }
    }
    return { bytes, changedMs };
  };
  const tree = await walk(path);
  for (const inode of linked.values()) if (inode.seen >= inode.links) tree.bytes += inode.size;
  return tree;
}

/** Bytes that removing a file or folder tree frees, without following symbolic links. */
export async function treeBytes(path: string): Promise<number> {
  return (await describeTree(path, Date.now())).bytes;
}
