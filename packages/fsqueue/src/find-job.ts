import { join } from 'node:path';
import { listNamesOrEmpty, pathExists } from '@imk/fs-safe';
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
  const tmp = join(queueDir, tmpName(jobId));
  if (await pathExists(tmp)) found.push({ state: 'tmp', dir: tmp });
  const ready = join(queueDir, readyName(jobId));
  if (await pathExists(ready)) found.push({ state: 'ready', dir: ready });
  for (const name of await listNamesOrEmpty(join(queueDir, CLAIMED_DIR))) {
    if (parseTokenName(name)?.jobId === jobId)
      found.push({ state: 'claimed', dir: join(queueDir, CLAIMED_DIR, name) });
  }
  for (const state of ARCHIVE_STATES) {
    const archive = join(queueDir, ARCHIVE_DIRS[state]);
    const plain = join(archive, readyName(jobId));
    if (await pathExists(plain)) found.push({ state, dir: plain });
    if (!thorough) continue;
    for (const name of await listNamesOrEmpty(archive)) {
      if (parseTokenName(name)?.jobId === jobId) found.push({ state, dir: join(archive, name) });
    }
  }
  return found;
}

/** Where a job is now: the first folder of that id (ready before claimed before archives), or undefined. */
export async function findJob(queueDir: string, jobId: string): Promise<QueueEntry | undefined> {
  const [first] = await findJobFolders(queueDir, jobId);
  if (!first) return undefined;
  return { jobId, state: first.state, dir: first.dir, attempts: await readAttempts(first.dir) };
}

export { parseReadyName };
