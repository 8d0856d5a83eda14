import { join } from 'node:path';
import { lstat } from 'node:fs/promises';
import { isAbsentErrno } from '@imk/errors';
import { listEntriesOrEmpty } from '@imk/fs-safe';
import { readAttempts } from './bundle-state.ts';
import {
  ARCHIVE_DIRS,
  CLAIMED_DIR,
  parseReadyName,
  parseTokenName,
  readyName,
  tmpName,
  type JobState,
} from './names.ts';

/** One job folder found in a queue. */
export interface QueueEntry {
  jobId: string;
  state: JobState;
  /** Absolute path of the folder. */
  dir: string;
  /** Attempts started so far (from the bundle's imk-state.json; 0 when never claimed). */
  attempts: number;
}

export type ArchiveState = keyof typeof ARCHIVE_DIRS;
const ARCHIVE_STATES = Object.keys(ARCHIVE_DIRS) as ArchiveState[];

/**
 * Every folder of one job id in a queue, in state order: tmp, ready, claimed, succeeded, failed, rejected.
 * Cheap: fixed names are checked with lstat; only `claimed/` (in-flight jobs) and archives with a
 * duplicate name (`job_<id>@…`) need a listing of their folder, done only when `thorough` is set.
 */
export async function findJobFolders(
  queueDir: string,
  jobId: string,
  thorough = false,
): Promise<{ state: JobState; dir: string }[]> {
  const found: { state: JobState; dir: string }[] = [];
  // Only real folders are the job's (see inspect.ts), at the top of the queue as in claimed/ and the
  // archives: a link named like it, to a folder elsewhere, is never taken for its bundle (its job.json's
  // tags were shown by `imk job` and the dashboard until a worker rejected the link).
  const tmp = join(queueDir, tmpName(jobId));
  if (await isRealFolder(tmp)) found.push({ state: 'tmp', dir: tmp });
  const ready = join(queueDir, readyName(jobId));
  if (await isRealFolder(ready)) found.push({ state: 'ready', dir: ready });
  for (const entry of await listEntriesOrEmpty(join(queueDir, CLAIMED_DIR))) {
    if (entry.isDirectory() && parseTokenName(entry.name)?.jobId === jobId)
      found.push({ state: 'claimed', dir: join(queueDir, CLAIMED_DIR, entry.name) });
  }
  for (const state of ARCHIVE_STATES) {
    const archive = join(queueDir, ARCHIVE_DIRS[state]);
    const plain = join(archive, readyName(jobId));
    if (await isRealFolder(plain)) found.push({ state, dir: plain });
    if (!thorough) continue;
    for (const entry of await listEntriesOrEmpty(archive)) {
      if (entry.isDirectory() && parseTokenName(entry.name)?.jobId === jobId)
        found.push({ state, dir: join(archive, entry.name) });
    }
  }
  return found;
}

/** Whether `path` is a folder itself (lstat: a link to one is not); false when nothing is there. */
async function isRealFolder(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isDirectory();
  } catch (error) {
    if (isAbsentErrno(error)) return false;
    throw error;
  }
}

/** Where a job is now: the first folder of that id (ready before claimed before archives), or undefined. */
export async function findJob(queueDir: string, jobId: string): Promise<QueueEntry | undefined> {
  const [first] = await findJobFolders(queueDir, jobId);
  if (!first) return undefined;
  return { jobId, state: first.state, dir: first.dir, attempts: await readAttempts(first.dir) };
}

export { parseReadyName };
