import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readAttempts } from './bundle-state.ts';
import { consumerOfToken } from './context.ts';
import { describeKind, fileSystemNow, listEntriesOrEmpty, listNamesOrEmpty } from '@imk/fs-safe';
import type { QueueEntry } from './find-job.ts';
import {
  ARCHIVE_DIRS,
  CLAIMED_DIR,
  JOB_STATES,
  archivedJobId,
  READY_PREFIX,
  TMP_SUFFIX,
  isProducerTempName,
  parseReadyName,
  parseTokenName,
  type JobState,
} from './names.ts';
import type { NamedQueueCounts, QueueCounts } from './types.ts';

/** Which of a queue's folders hold each state: the queue folder itself, or one of its sub-folders. */
const STATE_FOLDERS: readonly [JobState, string][] = [
  ['claimed', CLAIMED_DIR],
  ...(Object.entries(ARCHIVE_DIRS) as [JobState, string][]),
];

/** A folder name at the top of a queue as a job: ready `job_<id>`, a producer's `job_<id>.tmp`, or neither. */
function topEntry(name: string): { state: JobState; jobId: string } | undefined {
  const jobId = parseReadyName(name);
  if (jobId !== undefined) return { state: 'ready', jobId };
  if (isProducerTempName(name))
    return { state: 'tmp', jobId: name.slice(READY_PREFIX.length, -TMP_SUFFIX.length) };
  return undefined;
}

/**
 * Folder names per state (no file reads), shared by counts and listings. Only the folders holding the
 * wanted states are listed: asking for the jobs in progress never lists the (large) archives. Everywhere
 * (the top of the queue, claimed/ and the archives) only real folders are jobs (the kinds come with the
 * listing): a link, to a loop or to a folder elsewhere, was listed as a job, and followed by whoever read
 * it (the ledger's rebuild stopped on it; "Separate again" copied the files of the folder it led to; the
 * dashboard and `imk job` showed the tags of a job.json elsewhere until a worker rejected the link). Each
 * one left out is told to `onNotFolder`. A consumer's own listing (ready-index.ts) still sees such a ready
 * name, and rejects it with the reason.
 */
async function folders(
  queueDir: string,
  states: readonly JobState[] = JOB_STATES,
  onNotFolder?: NotFolderListener,
): Promise<{ state: JobState; jobId: string; dir: string }[]> {
  const found: { state: JobState; jobId: string; dir: string }[] = [];
  if (states.includes('ready') || states.includes('tmp'))
    for (const listed of await listEntriesOrEmpty(queueDir)) {
      const entry = topEntry(listed.name);
      if (!entry || !states.includes(entry.state)) continue;
      const dir = join(queueDir, listed.name);
      if (listed.isDirectory()) found.push({ ...entry, dir });
      else onNotFolder?.(dir, describeKind(listed));
    }
  for (const [state, folder] of STATE_FOLDERS) {
    if (!states.includes(state)) continue;
    for (const entry of await listEntriesOrEmpty(join(queueDir, folder))) {
      const jobId = archivedJobId(entry.name);
      if (jobId === undefined) continue;
      const dir = join(queueDir, folder, entry.name);
      if (entry.isDirectory()) found.push({ state, jobId, dir });
      else onNotFolder?.(dir, describeKind(entry));
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
  // The folders' times are the file system's (a file server stamps with its own clock): measured on that
  // clock, not this host's, or a host a day ahead of the NAS says every ready job waited a day.
  if (Number.isFinite(oldest)) {
    const now = await fileSystemNow(queueDir).catch(() => Date.now());
    counts.oldestReadyAgeSec = Math.max(0, Math.round((now - oldest) / 1000));
  }
  return counts;
}

/** Told of an entry named like a job (at the top of the queue, in claimed/ or an archive) that is not a real folder (left out). */
export type NotFolderListener = (dir: string, kind: string) => void;

export interface ListQueueJobsOptions {
  /** Only these states (only their folders are listed). @default every state */
  states?: readonly JobState[];
  /** Told of each entry named like a job left out for not being a real folder (a link, a file, a FIFO). */
  onNotFolder?: NotFolderListener;
  /**
   * Read each bundle's imk-state.json for its attempts (one file read per job). False: attempts is 0, for a
   * reader that keeps what it read per folder and reads the state again only when the folder changed
   * (writing imk-state.json renames a file into the folder, which changes its mtime). @default true
   */
  attempts?: boolean;
}

/**
 * The job folders of one queue: `job_<id>.tmp/` and `job_<id>/` at its top, `claimed/` and the archives,
 * each with the attempts its imk-state.json counts (0 for `.tmp`, which is the producer's).
 */
export async function listQueueJobs(
  queueDir: string,
  options: ListQueueJobsOptions = {},
): Promise<QueueEntry[]> {
  const result: QueueEntry[] = [];
  for (const entry of await folders(queueDir, options.states, options.onNotFolder))
    result.push({
      ...entry,
      attempts: entry.state === 'tmp' || options.attempts === false ? 0 : await readAttempts(entry.dir),
    });
  return result;
}

/**
 * The queue folders under a `queues/` folder: its sub-folders not starting with "." (links to folders are
 * followed, as the queues themselves are opened through them). A missing `queues/` has none. The names in
 * `always` (the standard queues) come first, whether their folders exist yet or not.
 */
export async function listQueueNames(queuesDir: string, always: readonly string[] = []): Promise<string[]> {
  const found = new Set<string>(always);
  for (const name of await listNamesOrEmpty(queuesDir)) {
    if (name.startsWith('.') || found.has(name)) continue;
    const info = await stat(join(queuesDir, name)).catch(() => undefined);
    if (info?.isDirectory()) found.add(name);
  }
  return [...found];
}

/** The counts of every queue `listQueueNames(queuesDir, always)` names, in that order. */
export async function countQueues(
  queuesDir: string,
  always: readonly string[] = [],
): Promise<NamedQueueCounts[]> {
  const names = await listQueueNames(queuesDir, always);
  return Promise.all(names.map(async (queue) => ({ queue, ...(await countJobs(join(queuesDir, queue))) })));
}

/**
 * Who holds each claimed job of one queue (job id and consumer id, from the claim folder's name): the
 * jobs being worked on now, whose unfinished outputs and scratch folders must not be taken for leftovers.
 */
export async function listClaimHolders(queueDir: string): Promise<{ jobId: string; consumer: string }[]> {
  const holders: { jobId: string; consumer: string }[] = [];
  for (const entry of await folders(queueDir, ['claimed'])) {
    const parsed = parseTokenName(basename(entry.dir));
    if (parsed) holders.push({ jobId: parsed.jobId, consumer: consumerOfToken(parsed.token) });
  }
  return holders;
}
