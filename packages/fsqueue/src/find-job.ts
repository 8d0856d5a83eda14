import { join } from 'node:path';
import { lstat } from 'node:fs/promises';
import { isAbsentErrno } from '@imk/errors';
import { archivedFolderNames } from './archive-listing.ts';
import { readAttempts } from './bundle-state.ts';
import { ARCHIVE_DIRS, CLAIMED_DIR, parseReadyName, readyName, tmpName, type JobState } from './names.ts';

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
 * Every folder of one job id in a queue, in state order: tmp, ready, claimed, succeeded, failed, rejected,
 * cancelled. Fixed names are checked with lstat; claimed/ and the archives are listed (a listing is kept
 * while the folder is unchanged: archive-listing.ts), their names read by the one parser (archivedJobId): an
 * archived job may be kept only as `job_<id>@<token>` (the plain name was taken when it was archived, and
 * that one was retried or removed since), and a look at the plain name only missed it (a claim in another
 * queue ran the id again, a publish of the id in this queue was let through).
 */
export async function findJobFolders(
  queueDir: string,
  jobId: string,
): Promise<{ state: JobState; dir: string }[]> {
  const found: { state: JobState; dir: string }[] = [];
  // Only real folders are the job's (see inspect.ts), at the top of the queue as in claimed/ and the
  // archives: a link named like it, to a folder elsewhere, is never taken for its bundle (its job.json's
  // tags were shown by `imk job` and the dashboard until a worker rejected the link).
  const tmp = join(queueDir, tmpName(jobId));
  if (await isRealFolder(tmp)) found.push({ state: 'tmp', dir: tmp });
  const ready = join(queueDir, readyName(jobId));
  if (await isRealFolder(ready)) found.push({ state: 'ready', dir: ready });
  const held: [JobState, string][] = [
    ['claimed', CLAIMED_DIR],
    ...ARCHIVE_STATES.map((state): [JobState, string] => [state, ARCHIVE_DIRS[state]]),
  ];
  for (const [state, folder] of held) {
    // The plain name (an archive's first job of the id) before those with a token, as archiveFolder names them.
    const names = (await archivedFolderNames(join(queueDir, folder), jobId)).sort(
      (a, b) => Number(a !== readyName(jobId)) - Number(b !== readyName(jobId)),
    );
    for (const name of names) found.push({ state, dir: join(queueDir, folder, name) });
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
