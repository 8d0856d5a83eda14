import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { listNamesOrEmpty } from '@imk/fs-safe';
import { isHousekeepingName } from './housekeeping.ts';
import { DEFAULT_STABLE_CHECKS } from './settings.ts';

export interface FileSnapshot {
  path: string;
  name: string;
  size: number;
  mtimeMs: number;
}

/**
 * Tells when dropped files have stopped changing: a file is stable once its size and mtime were the same
 * in `checks` consecutive looks spanning at least `minQuietMs` on this process's monotonic clock (a copy
 * over SMB can pause for a while, so one look is not enough, and looks started early by a file watcher
 * can come milliseconds apart, so a count of looks alone is not either).
 */
export interface StabilityTracker {
  /** Feeds one listing; returns the files that are now stable. Files no longer listed are forgotten. */
  update(files: FileSnapshot[]): FileSnapshot[];
  /** Forget a file (after it was handled), so that a new file of the same name starts over. */
  forget(path: string): void;
}

/** minQuietMs when not given: no least time between the looks. */
const NO_QUIET_TIME = 0;

export interface StabilityOptions {
  /**
   * Least time, on this process's monotonic clock, between the first and the last of the identical looks.
   * A caller that looks every `intervalMs` passes `(checks - 1) * intervalMs`. @default none (identical looks alone decide)
   */
  minQuietMs?: number;
  /** The monotonic clock in milliseconds. @default performance.now */
  now?: () => number;
}

/** @param checks consecutive identical looks needed. @default DEFAULT_STABLE_CHECKS */
export function createStabilityTracker(
  checks = DEFAULT_STABLE_CHECKS,
  options: StabilityOptions = {},
): StabilityTracker {
  const minQuietMs = options.minQuietMs ?? NO_QUIET_TIME;
  const now = options.now ?? (() => performance.now());
  const seen = new Map<string, { size: number; mtimeMs: number; count: number; since: number }>();
  return {
    update(files) {
      const stable: FileSnapshot[] = [];
      const present = new Set<string>();
      const at = now();
      for (const file of files) {
        present.add(file.path);
        const last = seen.get(file.path);
        const same = last !== undefined && last.size === file.size && last.mtimeMs === file.mtimeMs;
        const count = same ? last.count + 1 : 1;
        const since = same ? last.since : at;
        seen.set(file.path, { size: file.size, mtimeMs: file.mtimeMs, count, since });
        if (count >= checks && at - since >= minQuietMs) stable.push(file);
      }
      for (const path of seen.keys()) if (!present.has(path)) seen.delete(path);
      return stable;
    },
    forget(path) {
      seen.delete(path);
    },
  };
}

/**
 * Entries directly in `dir` that are not folders (not hidden, not in sub-folders, not an operating system's
 * or NAS's housekeeping such as Thumbs.db: isHousekeepingName); an absent folder lists
 * as empty. lstat, not stat: a symbolic link, a FIFO or a device is listed as itself, so that the reader
 * (which opens it through fs-safe) refuses it with a reason instead of following or blocking on it.
 */
export async function listFiles(
  dir: string,
  filter: (name: string) => boolean = () => true,
): Promise<FileSnapshot[]> {
  const names = await listNamesOrEmpty(dir);
  const files: FileSnapshot[] = [];
  for (const name of names.sort()) {
    if (name.startsWith('.') || isHousekeepingName(name) || !filter(name)) continue;
    const path = join(dir, name);
    try {
      const info = await lstat(path);
      if (!info.isDirectory()) files.push({ path, name, size: info.size, mtimeMs: info.mtimeMs });
    } catch {
      // Gone between readdir and stat: someone else took it.
    }
  }
  return files;
}
