// The inbox's own hidden folders, one per file being taken: its private copy of the song (probed, hashed
// and queued from one read) and the cover read from it. Removed when the take ends; one left by a pass
// that never ended (the process killed mid-copy, the machine off) is removed by a later pass.
import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileSystemNow, listEntriesOrEmpty, writeError } from '@imk/fs-safe';
import type { Logger } from '@imk/log';

const STAGING_PREFIX = '.taking-';

/**
 * A take lasts seconds to minutes (ffprobe is bounded by probeTimeoutSec, the copy by the disk): a folder
 * this old is no take's any more, also of another inbox process sharing the folder.
 */
export const STALE_STAGING_MS = 24 * 60 * 60 * 1000;

/** Errnos of an inbox folder that cannot be written at all (a share or disk mounted read-only, no rights). */
const NOT_WRITABLE = new Set(['EROFS', 'EACCES', 'EPERM']);

/**
 * A new private folder (mode 0700) in the inbox for one take. An inbox that cannot be written is said as
 * that, naming it (Node says only "EROFS: read-only file system, mkdtemp …"); the errno stays the code.
 */
export async function makeStaging(inboxDir: string): Promise<string> {
  try {
    return await mkdtemp(join(inboxDir, STAGING_PREFIX));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined || !NOT_WRITABLE.has(code)) throw writeError(inboxDir, error);
    const why =
      code === 'EROFS'
        ? 'it is on a read-only file system (a share or disk mounted read-only?)'
        : 'this service may not write it (its permissions)';
    throw Object.assign(
      new Error(
        `cannot write the inbox folder ${inboxDir}: ${why}; nothing can be taken, and the files stay where they are until it can be written (each dropped file is copied into it, then moved to .processed/)`,
        { cause: error },
      ),
      { code },
    );
  }
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
