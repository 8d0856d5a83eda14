import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { QUEUE_NAMES } from '@imk/config';
import {
  ARCHIVE_DIRS,
  CLAIMED_DIR,
  ERROR_FILE,
  REJECTION_FILE,
  STATE_FILE,
  parseReadyName,
  parseTokenName,
  type JobState,
} from '@imk/fsqueue';

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
  attempts: number;
  /** imk-error.json / imk-rejection.json when archived as failed or rejected. */
  error?: unknown;
}

export interface QueueCountsView {
  queue: string;
  ready: number;
  claimed: number;
  succeeded: number;
  failed: number;
  rejected: number;
  tmp: number;
  oldestReadyAgeSec: number | null;
}

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Queue folders present under queues/ (the three standard ones always). */
export async function queueNames(queuesDir: string): Promise<string[]> {
  const found = new Set<string>(QUEUE_NAMES);
  for (const name of await names(queuesDir)) {
    const info = await stat(join(queuesDir, name)).catch(() => undefined);
    if (info?.isDirectory() && !name.startsWith('.')) found.add(name);
  }
  return [...found];
}

interface Located {
  job_id: string;
  state: JobState;
  dir: string;
}

async function locate(queueDir: string): Promise<Located[]> {
  const found: Located[] = [];
  for (const name of await names(queueDir)) {
    const id = parseReadyName(name);
    if (id !== undefined) found.push({ job_id: id, state: 'ready', dir: join(queueDir, name) });
    else if (name.startsWith('job_') && name.endsWith('.tmp'))
      found.push({ job_id: name.slice(4, -4), state: 'tmp', dir: join(queueDir, name) });
  }
  const sub: [JobState, string][] = [
    ['claimed', CLAIMED_DIR],
    ...(Object.entries(ARCHIVE_DIRS) as [JobState, string][]),
  ];
  for (const [state, folder] of sub) {
    for (const name of await names(join(queueDir, folder))) {
      const id = parseReadyName(name) ?? parseTokenName(name)?.jobId;
      if (id !== undefined) found.push({ job_id: id, state, dir: join(queueDir, folder, name) });
    }
  }
  return found;
}

export async function countQueue(queuesDir: string, queue: string): Promise<QueueCountsView> {
  const counts: QueueCountsView = {
    queue,
    ready: 0,
    claimed: 0,
    succeeded: 0,
    failed: 0,
    rejected: 0,
    tmp: 0,
    oldestReadyAgeSec: null,
  };
  let oldest = Infinity;
  for (const entry of await locate(join(queuesDir, queue))) {
    counts[entry.state]++;
    if (entry.state === 'ready') {
      const info = await stat(entry.dir).catch(() => undefined);
      if (info) oldest = Math.min(oldest, info.mtimeMs);
    }
  }
  if (Number.isFinite(oldest))
    counts.oldestReadyAgeSec = Math.max(0, Math.round((Date.now() - oldest) / 1000));
  return counts;
}

const metaCache = new Map<string, { changed: number; job: FolderJob }>();

async function describe(queue: string, entry: Located): Promise<FolderJob | undefined> {
  const info = await stat(entry.dir).catch(() => undefined);
  if (!info) return undefined;
  const changed = Math.max(info.mtimeMs, info.ctimeMs);
  const cached = metaCache.get(entry.dir);
  if (cached && cached.changed === changed) return cached.job;
  const job: FolderJob = {
    job_id: entry.job_id,
    queue,
    state: entry.state,
    dir: entry.dir,
    changed_ms: changed,
    attempts: 0,
  };
  if (entry.state !== 'tmp') {
    const doc = (await readJson(join(entry.dir, 'job.json'))) as Record<string, unknown> | undefined;
    if (typeof doc?.artist === 'string') job.artist = doc.artist;
    if (typeof doc?.title === 'string') job.title = doc.title;
    if (typeof doc?.source_type === 'string') job.source_type = doc.source_type;
    const state = (await readJson(join(entry.dir, STATE_FILE))) as { attempts?: unknown } | undefined;
    if (typeof state?.attempts === 'number') job.attempts = state.attempts;
    if (entry.state === 'failed') job.error = await readJson(join(entry.dir, ERROR_FILE));
    if (entry.state === 'rejected') job.error = await readJson(join(entry.dir, REJECTION_FILE));
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
  const result: FolderJob[] = [];
  for (const entry of await locate(join(queuesDir, queue))) {
    if (states && !states.includes(entry.state)) continue;
    const job = await describe(queue, entry);
    if (job) result.push(job);
  }
  return result;
}

/** Every folder of one job id across all queues, most advanced state last. */
export async function findFolderJob(queuesDir: string, jobId: string): Promise<FolderJob[]> {
  const found: FolderJob[] = [];
  for (const queue of await queueNames(queuesDir)) {
    for (const entry of await locate(join(queuesDir, queue))) {
      if (entry.job_id !== jobId) continue;
      const job = await describe(queue, entry);
      if (job) found.push(job);
    }
  }
  return found.sort((a, b) => a.changed_ms - b.changed_ms);
}
