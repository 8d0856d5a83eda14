import { lstat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { isAbsentErrno } from '@imk/errors';
import { describeKind } from '@imk/fs-safe';
import { JOB_STATES, listQueueJobs, listQueueNames, readArchiveOutcome, type QueueEntry } from '@imk/fsqueue';
import {
  describeOutputNotes,
  describeOutputProblem,
  outputFinishedAt,
  readJobJson,
  readOutputManifest,
  scanOutputFolders,
  type AnyManifest,
} from '@imk/protocol';
import type { LedgerState } from './types.ts';
import type { Stats } from 'node:fs';

/** One job folder seen in a queue. */
export interface SeenFolder {
  jobId: string;
  queue: string;
  state: LedgerState;
  dir: string;
  /** Folder mtime, ISO 8601: the best time the folders alone can give for this state. */
  at: string;
  job: Record<string, unknown> | undefined;
  attempts: number;
  error: Record<string, unknown> | undefined;
}

export interface SeenManifest {
  jobId: string;
  dir: string;
  manifest: AnyManifest;
  at: string;
}

/** A JSON object, else undefined (a producer may have written anything as job.json). */
function objectOf(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

async function seen(queue: string, entry: QueueEntry, state: LedgerState, info: Stats): Promise<SeenFolder> {
  const { dir } = entry;
  // Bundles are untrusted: job.json and the queue's outcome files are read through their owners, which
  // refuse a FIFO or a link to /dev/zero (it would hang or fill the rebuild).
  const outcome = await readArchiveOutcome(entry);
  // imk-state.json counts attempts started; the outcome file names the attempt that ended the job.
  const attempts = Math.max(entry.attempts, outcome.attempt ?? 0);
  return {
    jobId: entry.jobId,
    queue,
    state,
    dir,
    at: info.mtime.toISOString(),
    job: objectOf(await readJobJson(dir).catch(() => undefined)),
    attempts,
    error: outcome.reason,
  };
}

/** The states the folders alone can tell (a producer's `.tmp` folder is not a job yet). */
const FOLDER_STATES = JOB_STATES.filter((state) => state !== 'tmp');

/**
 * Every job folder in every queue under `queuesDir`: ready, claimed and archived, listed by fsqueue. An
 * entry of claimed/ or an archive that is not a real folder (a symbolic link, a loop of links, a file or a
 * FIFO someone put there) is no job folder: fsqueue leaves it out, and it is named in `problems`; it had
 * stopped the whole rebuild (ELOOP, ENOENT from stat), or been followed and recorded as a job of this
 * queue. A folder removed between the listing and the look (retention) is simply not there any more.
 */
export async function scanQueues(queuesDir: string): Promise<{ folders: SeenFolder[]; problems: string[] }> {
  const folders: SeenFolder[] = [];
  const problems: string[] = [];
  const notFolder = (dir: string, kind: string) => {
    const why = kind === 'a symbolic link' ? ' (links are not followed)' : '';
    problems.push(`${relative(join(queuesDir, '..'), dir)} is ${kind}, not a job folder; left out${why}`);
  };
  for (const queue of await listQueueNames(queuesDir)) {
    const entries = await listQueueJobs(join(queuesDir, queue), {
      states: FOLDER_STATES,
      onNotFolder: notFolder,
    });
    for (const entry of entries) {
      if (entry.state === 'tmp') continue;
      let info: Stats;
      try {
        info = await lstat(entry.dir);
      } catch (error) {
        if (isAbsentErrno(error)) continue; // removed since the listing (retention, a claim moving on)
        throw error;
      }
      // Replaced since the listing (or a ready name that is a link, which its consumer rejects).
      if (!info.isDirectory()) notFolder(entry.dir, describeKind(info));
      else folders.push(await seen(queue, entry, entry.state, info));
    }
  }
  return { folders, problems };
}

/**
 * Every finished output that validates, v1 or the earlier version's (with its nulls), listed and read
 * through the one outputs reader of @imk/protocol: the same folders, ids and problems as sync and the
 * dashboard see.
 */
export async function scanOutputs(
  outputsDir: string,
): Promise<{ manifests: SeenManifest[]; problems: string[] }> {
  const manifests: SeenManifest[] = [];
  const { folders, notListed } = await scanOutputFolders(outputsDir);
  const problems: string[] = [...notListed];
  for (const folder of folders) {
    const result = await readOutputManifest(folder.dir);
    if (result === undefined) continue;
    if (!result.ok) {
      problems.push(describeOutputProblem(result));
      continue;
    }
    // Artifacts of an earlier-version manifest without a usable path or kind: the job is recorded without them.
    // A job_id that is not its folder's name: recorded under its folder, the mismatch said.
    problems.push(...describeOutputNotes(result.manifest, folder.manifestPath));
    manifests.push({
      jobId: folder.jobId,
      dir: folder.dir,
      manifest: result.manifest.document,
      at: outputFinishedAt(result.manifest, folder),
    });
  }
  return { manifests, problems };
}
