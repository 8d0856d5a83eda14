import { lstat, mkdtemp, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The name fileSystemNow's private folder starts with, unless a folder's layout names its own (the inbox's
 * staging prefix): hidden, and skipped by every reader of the folders it is made in (queues, outputs/,
 * state/). Spelled here once; the layouts re-export it.
 */
export const CLOCK_CHECK_PREFIX = '.imk-clock-check-';

/**
 * "Now" on the clock that stamps the files of `dir`'s file system: the mtime of a private folder made in
 * `dir` (named `prefix` + random, removed at once). A file server (NFS, SMB) stamps what is written to it
 * with its own clock, not the writer's: an mtime compared with this host's Date.now() is a time another host
 * wrote, and a host whose clock is a day off took a folder being written for one left a day ago (or the
 * other way round). Compared with this, an mtime's age is measured on one clock. On a local disk it is
 * this host's clock, as before.
 */
export async function fileSystemNow(dir: string, prefix: string = CLOCK_CHECK_PREFIX): Promise<number> {
  const probe = await mkdtemp(join(dir, prefix));
  try {
    return (await lstat(probe)).mtimeMs;
  } finally {
    await rmdir(probe).catch(() => undefined);
  }
}

/**
 * A clock for one pass: `read` (a fileSystemNow) is called once, when the time is first asked, and moved on
 * by this process's monotonic clock after that: a pass that judges many times written on a file system
 * makes one folder there, not one per comparison, and none when it has nothing to judge.
 */
export function passClock(read: () => Promise<number>): () => Promise<number> {
  let first: Promise<{ at: number; since: number }> | undefined;
  return async () => {
    first ??= read().then((at) => ({ at, since: performance.now() }));
    const { at, since } = await first;
    return at + (performance.now() - since);
  };
}
