import type { BigIntStats } from 'node:fs';
import { stat, statfs } from 'node:fs/promises';
import { isAbsentErrno } from '@imk/errors';
import { listEntriesOrEmpty } from '@imk/fs-safe';
import { archivedJobId } from './names.ts';

/*
 * The folders of claimed/ and the archives, by job id, listed once and kept while the folder is unchanged.
 * Each publish and each claim looks for its id in every queue's claimed/ and archives (findJobFolders): with
 * 20,000 archived jobs over 3 queues, listing them all took 15-20 ms a claim and 60 ms a publish (two looks);
 * a stat of each folder is what it costs while they do not change.
 *
 * A folder's listing changes only with its mtime (and ctime, and often nlink), which every entry added,
 * removed or renamed there sets. Two changes within one tick of the file system's clock (a few ms on Linux,
 * up to 2 s on some) can leave the same mtime, so a listing is kept only if it began SETTLE_MS or more after
 * the folder was first seen with that mtime: any change after that listing comes a tick later, and stamps
 * a new mtime. Only elapsed time on this host's clock is compared, never the server's clock with ours.
 *
 * Only on a file system of this host (LOCAL_FS_TYPES): over NFS, SMB or sshfs a folder's attributes are
 * cached for seconds (actimeo, attr_timeout) while opening it to list it asks the server (close-to-open,
 * dir_cache=no), so a stat can say "unchanged" of a folder that another host just changed, and there a
 * claim in another queue must see a job claimed a moment ago (job-id-owner.ts). Such folders are listed
 * every time, as before.
 */

/**
 * statfs() types of file systems whose folder attributes are never stale on this host: ext2/3/4, XFS,
 * Btrfs, tmpfs, overlayfs (a container's own layers), ZFS, F2FS, bcachefs.
 */
const LOCAL_FS_TYPES = new Set([
  0xef53, 0x58465342, 0x9123683e, 0x01021994, 0x794c7630, 0x2fc12fc1, 0xf2f52010, 0xca451a4e,
]);

/** Longer than any file system's timestamp granularity (FAT: 2 s). */
export const SETTLE_MS = 3000;

/** Folders kept (a root has a handful of queues, five such folders each; tests make many roots). */
const MAX_FOLDERS = 256;

interface Kept {
  /** What the folder's stat said: a change of any of these is a change of the listing. */
  key: string;
  /** When this host first saw the folder with that key (performance.now()). */
  since: number;
  /** Whether the folder is on a file system of this host (LOCAL_FS_TYPES): only then is a listing kept. */
  local: boolean;
  /** The listing, when one began SETTLE_MS or more after `since`: folder names by job id, in listing order. */
  byId?: Map<string, string[]>;
}

const kept = new Map<string, Kept>();

/**
 * The names of the folders in `dir` (claimed/ or an archive) whose name is of job `jobId` (archivedJobId:
 * `job_<id>@<token>` or a plain `job_<id>`), in listing order; none when `dir` is not there.
 */
export async function archivedFolderNames(dir: string, jobId: string): Promise<string[]> {
  const seen = await statKey(dir);
  if (seen === undefined) {
    kept.delete(dir);
    return [];
  }
  const now = performance.now();
  let entry = kept.get(dir);
  if (entry?.key !== seen) {
    entry = { key: seen, since: now, local: await onLocalFileSystem(dir) };
    remember(dir, entry);
  }
  if (entry.byId) return [...(entry.byId.get(jobId) ?? [])];
  const byId = await listById(dir);
  // Kept only when the listing began long enough after the change that made this mtime, and nothing
  // changed while it ran.
  if (entry.local && now - entry.since >= SETTLE_MS && (await statKey(dir)) === seen) entry.byId = byId;
  return byId.get(jobId) ?? [];
}

async function listById(dir: string): Promise<Map<string, string[]>> {
  const byId = new Map<string, string[]>();
  for (const entry of await listEntriesOrEmpty(dir)) {
    if (!entry.isDirectory()) continue;
    const id = archivedJobId(entry.name);
    if (id === undefined) continue;
    const names = byId.get(id);
    if (names) names.push(entry.name);
    else byId.set(id, [entry.name]);
  }
  return byId;
}

/** The folder's identity and change stamps, or undefined when it is not there (or not a folder). */
async function statKey(dir: string): Promise<string | undefined> {
  let info: BigIntStats;
  try {
    info = await stat(dir, { bigint: true });
  } catch (error) {
    if (isAbsentErrno(error)) return undefined;
    throw error;
  }
  if (!info.isDirectory()) return undefined;
  return [info.dev, info.ino, info.mtimeNs, info.ctimeNs, info.nlink, info.size].join(':');
}

async function onLocalFileSystem(dir: string): Promise<boolean> {
  const info = await statfs(dir).catch(() => undefined);
  return info !== undefined && LOCAL_FS_TYPES.has(info.type);
}

function remember(dir: string, entry: Kept): void {
  kept.delete(dir);
  kept.set(dir, entry);
  if (kept.size > MAX_FOLDERS) kept.delete(kept.keys().next().value!);
}
