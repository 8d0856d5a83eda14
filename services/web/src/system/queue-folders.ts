import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { QUEUE_NAMES } from '@imk/config';
import {
  countQueues,
  findJobFolders,
  listQueueJobs,
  listQueueNames,
  readArchiveReason,
  readBundleState,
  type JobState,
  type NamedQueueCounts,
  type QueueEntry,
} from '@imk/fsqueue';
import { RemixSchema, readJobJson } from '@imk/protocol';

/** One job folder in a queue, with the facts its job.json and the queue's own files hold. */
export interface FolderJob {
  job_id: string;
  queue: string;
  state: JobState;
  dir: string;
  /** When the folder last changed state (rename) or content, ms since the epoch. */
  changed_ms: number;
  artist?: string;
  title?: string;
  source_type?: string;
  /** A remix job's target and mix (as its job.json says): which mix of which job it saves. */
  remix?: { of: string; variant: string; pitch?: number; tempo?: number };
  attempts: number;
  /** imk-error.json / imk-rejection.json / imk-cancel.json when archived as failed, rejected or cancelled. */
  error?: unknown;
}

/** Queue folders present under queues/ (the three standard ones always). */
export async function queueNames(queuesDir: string): Promise<string[]> {
  return listQueueNames(queuesDir, QUEUE_NAMES);
}

/** Every queue's counts (the three standard ones always), through fsqueue. */
export async function countAllQueues(queuesDir: string): Promise<NamedQueueCounts[]> {
  return countQueues(queuesDir, QUEUE_NAMES);
}

/** Folders described at once by listFolderJobs. */
const DESCRIBE_AT_ONCE = 64;

const metaCache = new Map<string, { changed: number; job: FolderJob }>();

/**
 * A job folder's facts: kept per folder while its change time is the same (a job waiting does not change),
 * read again (job.json, imk-state.json, the archive's reason) when it changed. `entry.attempts` undefined:
 * read from imk-state.json here, only when the folder changed.
 */
async function describe(
  queue: string,
  entry: Omit<QueueEntry, 'attempts'> & { attempts?: number },
): Promise<FolderJob | undefined> {
  const info = await stat(entry.dir).catch(() => undefined);
  if (!info) return undefined;
  const changed = Math.max(info.mtimeMs, info.ctimeMs);
  const cached = metaCache.get(entry.dir);
  if (cached && cached.changed === changed) return cached.job;
  const attempts =
    entry.attempts ?? (entry.state === 'tmp' ? 0 : (await readBundleState(entry.dir)).attempts);
  const job: FolderJob = {
    job_id: entry.jobId,
    queue,
    state: entry.state,
    dir: entry.dir,
    changed_ms: changed,
    attempts,
  };
  if (entry.state !== 'tmp') {
    // Through their owners: a FIFO, a link, an oversized or too deeply nested file is never read or parsed
    // (it would block a thread or overflow the stack).
    const doc = (await readJobJson(entry.dir).catch(() => undefined)) as Record<string, unknown> | undefined;
    if (typeof doc?.artist === 'string') job.artist = doc.artist;
    if (typeof doc?.title === 'string') job.title = doc.title;
    if (typeof doc?.source_type === 'string') job.source_type = doc.source_type;
    const remix = RemixSchema.safeParse(doc?.remix);
    if (remix.success) {
      const { of, variant, pitch, tempo } = remix.data;
      job.remix = {
        of,
        variant,
        ...(pitch !== undefined && { pitch }),
        ...(tempo !== undefined && { tempo }),
      };
    }
    const reason = await readArchiveReason(entry);
    if (reason !== undefined) job.error = reason;
  }
  if (metaCache.size > 20_000) metaCache.clear();
  metaCache.set(entry.dir, { changed, job });
  return job;
}

/** Jobs in a queue's folders, optionally only some states. Reads each job.json once (cached by change time). */
export async function listFolderJobs(
  queuesDir: string,
  queue: string,
  states?: readonly JobState[],
): Promise<FolderJob[]> {
  // Only the folders of the states asked for are listed: the jobs in progress, asked for every second by
  // live updates, never list the archives (thousands of folders on a busy system; they come from the ledger).
  // Attempts are read by describe, only for a folder that changed: 5,000 waiting jobs were 5,000 reads of
  // imk-state.json on every call (the overview asks every second).
  const entries = await listQueueJobs(join(queuesDir, queue), { ...(states && { states }), attempts: false });
  const result: FolderJob[] = [];
  // A stat per folder, some at a time: one after another they were most of the time of a long queue.
  for (let i = 0; i < entries.length; i += DESCRIBE_AT_ONCE) {
    const described = await Promise.all(
      entries.slice(i, i + DESCRIBE_AT_ONCE).map(({ attempts: _, ...entry }) => describe(queue, entry)),
    );
    for (const job of described) if (job) result.push(job);
  }
  return result;
}

/** Every folder of one job id across all queues, most advanced state last. */
export async function findFolderJob(queuesDir: string, jobId: string): Promise<FolderJob[]> {
  const found: FolderJob[] = [];
  for (const queue of await queueNames(queuesDir)) {
    for (const folder of await findJobFolders(join(queuesDir, queue), jobId)) {
      const { attempts } = await readBundleState(folder.dir);
      const entry: QueueEntry = { jobId, state: folder.state, dir: folder.dir, attempts };
      const job = await describe(queue, entry);
      if (job) found.push(job);
    }
  }
  return found.sort((a, b) => a.changed_ms - b.changed_ms);
}
