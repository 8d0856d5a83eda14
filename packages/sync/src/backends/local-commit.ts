import { createHash } from 'node:crypto';
import { link, lstat, open, rename, rm, stat } from 'node:fs/promises';
import { openUntrusted } from '@imk/fs-safe';
import { syncError } from '../errors.ts';
import type { PutRequest } from '../types.ts';
import { settleExisting, type ExistingLookup } from './common.ts';

// Errors of link() on filesystems without hard links (some SMB/FAT mounts): fall back to a check and rename.
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'EXDEV', 'ENOSYS']);

/** How many times a name that refused the link but showed nothing when looked at is tried again. */
const VANISHED_TRIES = 3;

/** Said after each chunk a hash read (hashWithProgress), for a watchdog waiting on a slow share. */
export type Progress = () => void;

/**
 * SHA-256 of the file at `path`, read 4 MiB at a time, saying `progress` after each: a large file on a slow
 * share takes long, and the local backend's watchdog (local-helper.ts) tells that from a share that stopped.
 * `untrusted`: opened fs-safe's way (a FIFO or a folder is refused at once, never read).
 */
export async function hashWithProgress(
  path: string,
  progress: Progress,
  how: { untrusted?: boolean } = {},
): Promise<string> {
  const file = how.untrusted
    ? (await openUntrusted(path, { followLinks: true })).handle
    : await open(path, 'r');
  try {
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(4 << 20);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      progress();
    }
    return hash.digest('hex');
  } finally {
    await file.close();
  }
}

/**
 * What is under a name on this host, for settleExisting. A link leading nowhere holds the name (link() and
 * rename-free checks refuse it) though stat() sees nothing: it is something that is not a regular file.
 * `progress` is said as its hash reads the file.
 */
export function localExisting(target: string, progress: Progress = () => undefined): ExistingLookup {
  return {
    stat: async () => {
      const info = await stat(target).catch(() => undefined);
      if (info) return { bytes: info.size, regular: info.isFile() };
      const link = await lstat(target).catch(() => undefined);
      return link && { bytes: 0, regular: false };
    },
    // Opened the untrusted way (regular files only, without blocking): the NAS is not ours alone.
    hash: () => hashWithProgress(target, progress, { untrusted: true }),
  };
}

/** temp under target unless something is there: link() refuses an existing name atomically. */
async function linkOrRename(temp: string, target: string): Promise<'done' | 'taken'> {
  try {
    await link(temp, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return 'taken';
    if (!NO_HARD_LINKS.has(code)) throw error;
    // No hard links here: look, then rename (a file made in between by another program is not seen).
    if (
      await lstat(target).then(
        () => true,
        () => false,
      )
    )
      return 'taken';
    await rename(temp, target);
    return 'done';
  }
  await rm(temp, { force: true });
  return 'done';
}

/**
 * Puts a checked copy (temp) under its final name on this host, for the local backend and rsync to a folder
 * here: `replace` renames over a regular file (never a folder, a FIFO or a link leading nowhere: CONFLICT);
 * otherwise the name is taken only when free, and what is found there instead is the same content ('same')
 * or a CONFLICT. A name that refused the link but held nothing when looked at (removed in between) is tried
 * again: a copy is never counted as delivered unless it is there. The caller removes temp on every way out.
 */
export async function putInPlace(
  request: PutRequest,
  temp: string,
  target: string,
  progress?: Progress,
): Promise<'done' | 'same'> {
  const existing = localExisting(target, progress);
  if (request.existing === 'replace') {
    await settleExisting(request, target, existing);
    await rename(temp, target);
    return 'done';
  }
  for (let tries = 1; (await linkOrRename(temp, target)) === 'taken'; tries++) {
    if ((await settleExisting(request, target, existing)) === 'same') return 'same';
    if (tries >= VANISHED_TRIES)
      throw syncError(
        'TRANSFER_FAILED',
        `${target} kept appearing and vanishing while the copy was put in place; it will be sent again`,
      );
  }
  return 'done';
}
