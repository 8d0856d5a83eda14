import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readAttempts } from './bundle-state.ts';
import { listNames, type QueueEntry } from './find-job.ts';
import {
  ARCHIVE_DIRS,
  CLAIMED_DIR,
  READY_PREFIX,
  TMP_SUFFIX,
  parseReadyName,
  parseTokenName,
  type JobState,
} from './names.ts';
import type { QueueCounts } from './types.ts';

/** Folder names per state (no file reads), shared by counts and listJobs. */
async function folders(queueDir: string): Promise<{ state: JobState; jobId: string; dir: string }[]> {
  const found: { state: JobState; jobId: string; dir: string }[] = [];
  for (const name of await listNames(queueDir)) {
    const jobId = parseReadyName(name);
    if (jobId !== undefined) found.push({ state: 'ready', jobId, dir: join(queueDir, name) });
    else if (name.startsWith(READY_PREFIX) && name.endsWith(TMP_SUFFIX))
      found.push({
        state: 'tmp',
        jobId: name.slice(READY_PREFIX.length, -TMP_SUFFIX.length),
        dir: join(queueDir, name),
      });
  }
  const sub: [JobState, string][] = [['claimed', CLAIMED_DIR], ...Object.entries(ARCHIVE_DIRS)] as [
    JobState,
    string,
  ][];
  for (const [state, folder] of sub) {
    for (const name of await listNames(join(queueDir, folder))) {
      const jobId = parseReadyName(name) ?? parseTokenName(name)?.jobId;
      if (jobId !== undefined) found.push({ state, jobId, dir: join(queueDir, folder, name) });
    }
  }
  return found;
}

export async function countJobs(queueDir: string): Promise<QueueCounts> {
  const counts: QueueCounts = {
    ready: 0,
    claimed: 0,
    succeeded: 0,
    failed: 0,
    rejected: 0,
    cancelled: 0,
    tmp: 0,
    oldestReadyAgeSec: null,
  };
  const ready: string[] = [];
  for (const entry of await folders(queueDir)) {
    counts[entry.state]++;
    if (entry.state === 'ready') ready.push(entry.dir);
  }
  let oldest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < ready.length; i += 64) {
    const infos = await Promise.all(ready.slice(i, i + 64).map((dir) => stat(dir).catch(() => undefined)));
    for (const info of infos) if (info) oldest = Math.min(oldest, info.mtimeMs);
  }
  if (Number.isFinite(oldest))
    counts.oldestReadyAgeSec = Math.max(0, Math.round((Date.now() - oldest) / 1000));
  return counts;
}

export async function listQueueJobs(queueDir: string, state?: JobState): Promise<QueueEntry[]> {
  const entries = (await folders(queueDir)).filter((entry) => state === undefined || entry.state === state);
  const result: QueueEntry[] = [];
  for (const entry of entries)
    result.push({ ...entry, attempts: entry.state === 'tmp' ? 0 : await readAttempts(entry.dir) });
  return result;
}
