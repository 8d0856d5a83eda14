import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { moveNoClobber, pathExists, readUntrustedJson } from '@imk/fs-safe';
import { findJobFolders } from './find-job.ts';
import { JOB_ID_OWNERS_DIR, jobIdOwnerName, jobIdOwnerTempName, type JobState } from './names.ts';

/*
 * Which queue owns a job id, decided once, atomically, for every host sharing `queues/` (NFS, SMB): a claim
 * creates `queues/.imk-job-ids/<id>@<n>` naming its queue, by link() of a written temp file, which refuses
 * an existing name atomically on every host (as O_EXCL, but the file is whole when it appears). Two claims
 * of one id in two queues at one instant: one link succeeds and that claim runs; the other reads the file,
 * sees the winner's bundle in claimed/, and is rejected naming it. Looking at each other's claimed/ folders
 * (the only arbiter before) rejected both.
 *
 * An owner file is never rewritten. When the queue it names no longer holds the id (its bundle was
 * rejected, or an operator removed the archive), the id is free again: the next claim creates the next
 * generation, `<id>@<n+1>`, by the same atomic link, so two claims that both find the owner gone still
 * agree on one winner. The highest generation is in force.
 *
 * `imk cleanup` removes the owner file of an id no queue holds any more when it is the id's only one,
 * `<id>@1` (job-id-prune.ts). A claim that scanned before that removal can still link `<id>@2` (it saw
 * `<id>@1`): so a generation a claim links is its own only while the next one does not exist, and a claim
 * that finds `<id>@1` gone links it afresh, looks one further, finds `<id>@2` and goes on from there.
 */

/** What an owner file holds. */
interface OwnerDoc {
  job_id: string;
  /** The queue's folder name, beside the others in `queues/`. */
  queue: string;
  /** The claim that took the id (settles an ambiguous link on NFS: the file is ours when it holds our token). */
  token: string;
  consumer: string;
}

/** The job of the id in the queue that owns it, which a claim in another queue must not run again. */
export interface IdOwner {
  queue: string;
  state: JobState;
  dir: string;
}

/**
 * The states in which the owner queue still holds the id: it runs, ran, or waits to run again (released,
 * retried, requeued after a lost lease). A rejected bundle never ran; nothing at all: an operator removed it.
 */
export const HOLDING_STATES: readonly JobState[] = ['claimed', 'ready', 'succeeded', 'failed', 'cancelled'];

/** Largest owner file read (a few names). */
const OWNER_FILE_MAX_BYTES = 4096;

/**
 * Takes job id `jobId` for the queue `queueDir`, for the claim `token` (whose bundle is in claimed/ now).
 * Undefined when this queue owns the id (now, or from an earlier claim of it here: a retry); else the job
 * of the queue that owns it.
 */
export async function takeJobId(
  queueDir: string,
  jobId: string,
  token: string,
  consumer: string,
): Promise<IdOwner | undefined> {
  const queuesDir = dirname(queueDir);
  const ownersDir = join(queuesDir, JOB_ID_OWNERS_DIR);
  await mkdir(ownersDir, { recursive: true });
  const mine: OwnerDoc = { job_id: jobId, queue: basename(queueDir), token, consumer };
  for (let generation = 1; ; generation++) {
    const file = join(ownersDir, jobIdOwnerName(jobId, generation));
    const next = join(ownersDir, jobIdOwnerName(jobId, generation + 1));
    // Looked at before writing: an id is taken once, and every later claim of it here (a retry, each look
    // of a waiting job) only reads. A generation created here is in force unless the next one exists (a
    // claim that saw <id>@1 before a cleanup removed it took <id>@2).
    if (!(await pathExists(file)) && (await linkNew(file, `${JSON.stringify(mine)}\n`))) {
      if (!(await pathExists(next))) return undefined;
      continue;
    }
    const owner = await readOwner(file);
    // An NFS retry of our own link can answer EEXIST: the file holding our token is ours.
    if (owner?.token === token) return undefined;
    // A later generation is in force.
    if (await pathExists(next)) continue;
    if (owner !== undefined) {
      if (await sameQueue(queueDir, join(queuesDir, owner.queue))) return undefined;
      const ownerDir = join(queuesDir, owner.queue);
      // Looked at twice before the owner is taken for gone: one look reads ready/ before claimed/ and the
      // archives, and misses a job moved back to ready (a retry, a release) while it looks.
      const held = (await holding(ownerDir, jobId)) ?? (await holding(ownerDir, jobId));
      if (held) return { queue: owner.queue, ...held };
    }
    // The owner holds the id no more (or its file says nothing usable): the next generation decides.
  }
}

/**
 * Creates `file` with `text` unless the name is taken (false then): a temp file beside it, linked under its
 * name (moveNoClobber), so that a reader on any host sees it whole or not at all. Not fsynced, as the claim
 * rename is not: after a power cut an owner file may be empty, which reads as no owner, and the job folders
 * still say who ran the id (an archive in another queue takes it; see idTakenProblem).
 */
async function linkNew(file: string, text: string): Promise<boolean> {
  const temp = join(dirname(file), jobIdOwnerTempName(process.pid, randomBytes(6).toString('hex')));
  await writeFile(temp, text, { flag: 'wx' });
  try {
    return await moveNoClobber(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
}

/** The first folder of `jobId` in `queueDir` that holds the id (HOLDING_STATES), or undefined. */
async function holding(
  queueDir: string,
  jobId: string,
): Promise<{ state: JobState; dir: string } | undefined> {
  return (await findJobFolders(queueDir, jobId)).find((folder) => HOLDING_STATES.includes(folder.state));
}

/** The owner file's queue and token, or undefined when it cannot be read or names no queue folder. */
async function readOwner(file: string): Promise<Pick<OwnerDoc, 'queue' | 'token'> | undefined> {
  const doc = (await readUntrustedJson(file, { maxBytes: OWNER_FILE_MAX_BYTES }).catch(() => undefined)) as
    Partial<Record<keyof OwnerDoc, unknown>> | undefined | null;
  const { queue, token } = doc ?? {};
  // A queue is a folder name beside the others: anything else (a path, a hidden name) is no queue.
  if (typeof queue !== 'string' || queue === '' || queue.startsWith('.') || basename(queue) !== queue)
    return undefined;
  return { queue, token: typeof token === 'string' ? token : '' };
}

/** Whether two paths are one queue folder (a link to a queue is that queue). */
async function sameQueue(a: string, b: string): Promise<boolean> {
  if (a === b) return true;
  const [x, y] = await Promise.all([stat(a).catch(() => undefined), stat(b).catch(() => undefined)]);
  return x !== undefined && y !== undefined && x.dev === y.dev && x.ino === y.ino;
}
