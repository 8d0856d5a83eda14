import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  UntrustedFileError,
  moveNoClobber,
  parseUntrustedJson,
  pathExists,
  readUntrustedText,
} from '@imk/fs-safe';
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
 * `imk cleanup` removes the owner files of an id no queue holds any more, the highest generation first,
 * and after each removal looks whether the generation above it exists again (job-id-prune.ts). A claim
 * walks the generations up from `<id>@1` and may have passed one that a cleanup then removes: so a
 * generation it links is its own only while the next one does not exist (it looks once more), and while
 * the one below is still the file it passed. When that one has gone or changed (a cleanup removed it, and
 * maybe another claim linked it afresh), the claim removes its own link, which no walk from `<id>@1` would
 * reach, and walks again from `<id>@1`. A claim links then looks below; a cleanup removes then looks above:
 * of a claim and a cleanup at one instant, one of them sees the other.
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

/** For tests: a point in the walk where another claim or a cleanup can act. */
export interface TakeJobIdSeam {
  /** After the claim read generation `generation`, found its owner gone, and before it goes on. */
  passedOwnerGone?: (generation: number) => Promise<void>;
}

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
  seam: TakeJobIdSeam = {},
): Promise<IdOwner | undefined> {
  const queuesDir = dirname(queueDir);
  const ownersDir = join(queuesDir, JOB_ID_OWNERS_DIR);
  await mkdir(ownersDir, { recursive: true });
  const mine = `${JSON.stringify({ job_id: jobId, queue: basename(queueDir), token, consumer } satisfies OwnerDoc)}\n`;
  // The generation below, as this claim saw it when it passed it (its text, or what kept it from being read).
  let passed: string | undefined;
  for (let generation = 1; ; generation++) {
    const file = join(ownersDir, jobIdOwnerName(jobId, generation));
    const next = join(ownersDir, jobIdOwnerName(jobId, generation + 1));
    // Looked at before writing: an id is taken once, and every later claim of it here (a retry, each look
    // of a waiting job) only reads. A generation created here is in force unless the next one exists.
    if (!(await pathExists(file)) && (await linkNew(file, mine))) {
      if (await pathExists(next)) {
        passed = mine;
        continue;
      }
      const below = generation === 1 ? undefined : join(ownersDir, jobIdOwnerName(jobId, generation - 1));
      if (below === undefined || (passed !== undefined && (await ownerText(below)) === passed))
        return undefined;
      // A cleanup removed the generation below after this claim passed it: no walk from <id>@1 reaches this
      // link across the gap, so it goes, and this claim walks again (and meets any claim that linked since).
      await rm(file, { force: true });
      passed = undefined;
      generation = 0;
      continue;
    }
    const text = await ownerText(file);
    passed = text;
    const owner = text === undefined ? undefined : parseOwner(text, file);
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
    await seam.passedOwnerGone?.(generation);
  }
}

/**
 * Creates `file` with `text` unless the name is taken (false then): a temp file beside it, linked under its
 * name (moveNoClobber), so that a reader on any host sees it whole or not at all. Not fsynced, as the claim
 * rename is not: after a power cut an owner file may be empty, which reads as no owner, and the job folders
 * still say who ran the id (an archive in another queue takes it; see idTakenProblem).
 */
export async function linkNew(file: string, text: string): Promise<boolean> {
  const temp = join(dirname(file), jobIdOwnerTempName(process.pid, randomBytes(6).toString('hex')));
  await writeFile(temp, text, { flag: 'wx' });
  try {
    return await moveNoClobber(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
}

/** The first folder of `jobId` in `queueDir` that holds the id (HOLDING_STATES), or undefined. */
export async function holding(
  queueDir: string,
  jobId: string,
): Promise<{ state: JobState; dir: string } | undefined> {
  return (await findJobFolders(queueDir, jobId)).find((folder) => HOLDING_STATES.includes(folder.state));
}

/**
 * An owner file's text, or what kept it from being read (`\0` and the refusal's code: a folder, a link, a
 * file too large), which stays the same while the file does; undefined when there is none.
 */
export async function ownerText(file: string): Promise<string | undefined> {
  try {
    return await readUntrustedText(file, { maxBytes: OWNER_FILE_MAX_BYTES });
  } catch (error) {
    if (error instanceof UntrustedFileError && error.code === 'FILE_MISSING') return undefined;
    return `\0${error instanceof UntrustedFileError ? error.code : 'unreadable'}`;
  }
}

/** The owner file's queue and token, or undefined when it cannot be read or names no queue folder. */
export function parseOwner(text: string, file: string): Pick<OwnerDoc, 'queue' | 'token'> | undefined {
  let doc: Partial<Record<keyof OwnerDoc, unknown>> | undefined | null;
  try {
    doc = parseUntrustedJson(text, { name: file }) as typeof doc;
  } catch {
    return undefined;
  }
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
