// The inbox's own hidden folders, one per file being taken: its private copy of the song (probed, hashed
// and queued from one read) and the cover read from it. Removed when the take ends; one left by a pass
// that never ended (the process killed mid-copy, the machine off) is removed by a later pass.
import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileSystemNow, listEntriesOrEmpty } from '@imk/fs-safe';
import type { Logger } from '@imk/log';

const STAGING_PREFIX = '.taking-';

/**
 * A take lasts seconds to minutes (ffprobe is bounded by probeTimeoutSec, the copy by the disk): a folder
 * this old is no take's any more, also of another inbox process sharing the folder.
 */
export const STALE_STAGING_MS = 24 * 60 * 60 * 1000;

/** A new private folder (mode 0700) in the inbox for one take. */
export function makeStaging(inboxDir: string): Promise<string> {
  return mkdtemp(join(inboxDir, STAGING_PREFIX));
}

/**
 * Removes the inbox's own folders left by takes that never ended, saying so; nothing else is touched. A
 * folder's age is its mtime against "now" on the clock that stamped it, the inbox folder's file system's
 * (the mtime of a staging folder made for it and removed at once), never this host's clock: with the
 * inbox on a share, a host a day ahead of the file server removed the copy of a take going on.
 */
export async function sweepStaging(inboxDir: string, logger: Logger): Promise<void> {
  let now: number | undefined;
  for (const entry of await listEntriesOrEmpty(inboxDir)) {
    if (!entry.isDirectory() || !entry.name.startsWith(STAGING_PREFIX)) continue;
    const path = join(inboxDir, entry.name);
    const info = await lstat(path).catch(() => undefined);
    if (info === undefined || !info.isDirectory()) continue;
    now ??= await fileSystemNow(inboxDir, STAGING_PREFIX);
    if (now - info.mtimeMs < STALE_STAGING_MS) continue;
    await rm(path, { recursive: true, force: true });
    logger.info({ folder: entry.name }, 'removed the private copy left by an inbox pass that did not finish');
  }
}
