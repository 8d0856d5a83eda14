import { lstat, mkdir, open, rename, rm, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { ImkError, errorMessage, isImkError, isRetryableError } from '@imk/errors';
import {
  copyOpenedFile,
  fsyncDir,
  fsyncFile,
  fsyncTree,
  openUntrusted,
  pathExists,
  readUntrustedJson,
  sha256Buffer,
  sha256AndBytes,
  type UntrustedOpenOptions,
} from '@imk/fs-safe';
import type { Logger } from '@imk/log';
import {
  JOB_FILE,
  JobSchema,
  newerJobVersion,
  SCHEMA_VERSION,
  bundlePathProblem,
  describeProblems,
  formatIssues,
} from '@imk/protocol';
import type { ValidationProblem } from '@imk/protocol';
import { findJobFolders } from './find-job.ts';
import { PRODUCER_FILE, readyName, tmpName, type JobState } from './names.ts';
import { checkDeclared } from './publish-declared.ts';
import './errors.ts';

/** A file to put in the bundle: copied (or moved) from `source`, or written from `data`. */
export type BundleFileInput =
  | {
      name: string;
      source: string;
      move?: boolean;
      /**
       * The folder someone else writes that `source` was found in (an inbox): the source is then opened the
       * untrusted way (fs-safe: no link followed at all, a regular file, the descriptor inside this folder)
       * and copied from that descriptor, never moved, so a file swapped for a link after the producer's
       * checks is refused, not copied into the bundle.
       */
      within?: string;
      /**
       * What the source was declared to be where it comes from (another bundle's files[] entry: "Separate
       * again" copies an archived bundle): the copy must hash to it, else nothing is published and
       * SOURCE_CHANGED says the file, both hashes and sizes. Checked on the copy itself, the bytes the
       * bundle holds, never on a second read of the source.
       */
      declared?: { sha256: string; bytes?: number };
    }
  | { name: string; data: string | Uint8Array };

export interface PublishBundleOptions {
  /** The queue folder, e.g. `<root>/queues/youtube_audio`; created if missing. */
  queueDir: string;
  /**
   * Written as job.json. `schema_version` (1) and `created_at` are filled when absent, and a `files` entry
   * (path, sha256, bytes) is added for every file given in `files`.
   */
  job: Record<string, unknown> & { job_id: string };
  /** Files to put in the bundle beside job.json. */
  files: BundleFileInput[];
  logger?: Logger;
}

export interface PublishedBundle {
  jobId: string;
  /** The ready folder `<queueDir>/job_<id>`. */
  dir: string;
}

/**
 * Publishes a job bundle: writes `job_<id>.tmp/`, copies or moves the files in, writes job.json, fsyncs
 * every file and the folder, then one rename to `job_<id>/` and an fsync of the queue folder. A consumer
 * sees the whole bundle or nothing. On any failure the `.tmp` folder it made is removed.
 */
export async function publishBundle(options: PublishBundleOptions): Promise<PublishedBundle> {
  const { queueDir, files } = options;
  const job: Record<string, unknown> = { ...options.job };
  job.schema_version ??= SCHEMA_VERSION;
  job.created_at ??= new Date().toISOString();
  checkInputs(job, files);
  const jobId = job.job_id as string;

  await mkdir(queueDir, { recursive: true });
  await ensureNew(queueDir, jobId);
  const tmp = join(queueDir, tmpName(jobId));
  await startTmp(tmp, jobId, options.logger);

  try {
    writing.add(tmp);
    await writeSynced(join(tmp, PRODUCER_FILE), JSON.stringify({ host: hostname(), pid: process.pid }));
    const entries = [];
    for (const file of files) entries.push(await addFile(tmp, file));
    const named = new Set(entries.map((entry) => entry.path));
    const declared = Array.isArray(job.files) ? (job.files as { path?: unknown }[]) : [];
    job.files = [...declared.filter((entry) => !named.has(entry.path as string)), ...entries];
    validate(job);
    await writeSynced(join(tmp, JOB_FILE), `${JSON.stringify(job, null, 2)}\n`);
    await unlink(join(tmp, PRODUCER_FILE));
    // The files were synced as they were written: only the folders are left.
    await fsyncTree(tmp, { files: false });
    const ready = join(queueDir, readyName(jobId));
    // rename() over an existing empty folder would replace it: refuse any existing target first.
    if (await pathExists(ready)) throw jobExists(queueDir, jobId, 'ready', ready);
    await rename(tmp, ready);
    await fsyncDir(queueDir);
    options.logger?.info({ job_id: jobId, queue: queueDir, files: entries.length }, 'bundle published');
    return { jobId, dir: ready };
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  } finally {
    writing.delete(tmp);
  }
}

/** The `.tmp` folders this process is writing now. */
const writing = new Set<string>();

/**
 * Makes `job_<id>.tmp/` (the caller writes PRODUCER_FILE into it at once). One left by a producer of this host that is no longer
 * running (killed mid-publish, the machine or container restarted) is removed and made again: refusing it
 * (as before) refused that job id until the sweeper removed the folder a day later: a song dropped into
 * the inbox waited unprocessed and a YouTube video failed on every try.
 */
async function startTmp(tmp: string, jobId: string, logger: Logger | undefined): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await mkdir(tmp);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = await readProducer(tmp);
      if (attempt === 0 && owner !== undefined && isAbandoned(tmp, owner)) {
        logger?.warn(
          { job_id: jobId, dir: tmp, pid: owner.pid },
          'removing a bundle its producer left unfinished (that process is gone)',
        );
        await rm(tmp, { recursive: true, force: true });
        continue;
      }
      const who = owner === undefined ? '' : ` by process ${owner.pid} on ${owner.host}`;
      throw new ImkError(
        'JOB_IN_PROGRESS',
        `job ${jobId} is already being published${who} in ${tmp}; wait for that producer, or remove the folder if no producer is writing it`,
        { cause: error, details: { job_id: jobId, dir: tmp } },
      );
    }
  }
}

/** Largest producer file read (a host name and a pid). */
const PRODUCER_FILE_MAX_BYTES = 4096;

async function readProducer(tmp: string): Promise<{ host: string; pid: number } | undefined> {
  try {
    const json = (await readUntrustedJson(join(tmp, PRODUCER_FILE), {
      maxBytes: PRODUCER_FILE_MAX_BYTES,
    })) as {
      host?: unknown;
      pid?: unknown;
    } | null;
    if (typeof json?.host === 'string' && Number.isInteger(json.pid))
      return { host: json.host, pid: json.pid as number };
  } catch {
    // No marker (an older producer, a shell script, a folder being made this instant): not ours to judge.
  }
  return undefined;
}

/** Only a folder of this host can be judged: its process is gone (or is this one, not writing it now). */
function isAbandoned(tmp: string, owner: { host: string; pid: number }): boolean {
  if (owner.host !== hostname()) return false;
  if (owner.pid === process.pid) return !writing.has(tmp);
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function checkInputs(job: Record<string, unknown>, files: BundleFileInput[]): void {
  const problems: ValidationProblem[] = [];
  const seen = new Set<string>();
  for (const [index, file] of files.entries()) {
    const problem = bundlePathProblem(file.name);
    if (problem) problems.push({ path: `files.${index}.name`, message: problem });
    if (file.name === JOB_FILE || file.name === PRODUCER_FILE)
      problems.push({ path: `files.${index}.name`, message: `${file.name} is written by publishBundle` });
    // A moved source that is not what it was declared to be would be gone from where it was, and its copy too.
    if ('source' in file && file.move === true && file.declared !== undefined)
      problems.push({
        path: `files.${index}.declared`,
        message: `"${file.name}" is given with move and a declared hash: a declared hash is checked on a copy, add it without move`,
      });
    if (seen.has(file.name))
      problems.push({ path: `files.${index}.name`, message: `"${file.name}" is given twice` });
    seen.add(file.name);
  }
  if (problems.length > 0) throw invalidJob(job, problems);
  // Validate before copying anything: a bad job fails fast, without touching the queue.
  validate({ ...job, files: undefined });
}

function validate(job: Record<string, unknown>): void {
  const newer = newerJobVersion(job);
  if (newer !== undefined) throw invalidJob(job, [newer]);
  const result = JobSchema.safeParse(job);
  if (!result.success) throw invalidJob(job, formatIssues(result.error.issues, undefined, JobSchema));
}

function invalidJob(job: Record<string, unknown>, problems: ValidationProblem[]): ImkError {
  const id = typeof job.job_id === 'string' ? job.job_id : '(no job_id)';
  return new ImkError('INVALID_JOB', `job ${id} is not valid: ${describeProblems(problems)}`, {
    details: { job_id: id, problems },
  });
}

async function ensureNew(queueDir: string, jobId: string): Promise<void> {
  const found = await existingJob(queueDir, jobId);
  if (found) throw found;
}

/**
 * The JOB_EXISTS error publishBundle would throw for this job id (queued, running, done, failed: what
 * it is and what to do), or undefined while the id is free. A producer asks before it downloads: a
 * video that two subscriptions list was downloaded a second time only to be refused at publish.
 */
export async function existingJob(queueDir: string, jobId: string): Promise<ImkError | undefined> {
  const first = (await findJobFolders(queueDir, jobId)).find((found) => found.state !== 'tmp');
  return first && jobExists(queueDir, jobId, first.state, first.dir);
}

function jobExists(queueDir: string, jobId: string, state: JobState, dir: string): ImkError {
  return new ImkError('JOB_EXISTS', `job ${jobId} ${existing(state, jobId)}: ${dir}`, {
    details: { job_id: jobId, state, dir, queue: queueDir },
  });
}

/**
 * What the folder already there means, and what the user can do: `imk retry` takes only failed and
 * cancelled jobs (suggesting it for the others sent users to a command that refused).
 */
function existing(state: JobState, jobId: string): string {
  switch (state) {
    case 'tmp':
      return 'is being published by another producer';
    case 'ready':
      return 'is already queued and waits for a worker';
    case 'claimed':
      return 'is being processed now';
    case 'succeeded':
      return `was already processed (its outputs are in outputs/${jobId}); to process it again, choose another job id`;
    case 'failed':
      return `failed earlier (the reason is in imk-error.json); \`imk retry ${jobId}\` runs it again`;
    case 'cancelled':
      return `was cancelled; \`imk retry ${jobId}\` runs it again`;
    case 'rejected':
      return 'was rejected as invalid (the reason is in imk-rejection.json); fix it and choose another job id';
  }
}

async function addFile(
  tmp: string,
  file: BundleFileInput,
): Promise<{ path: string; sha256: string; bytes: number }> {
  const target = join(tmp, file.name);
  await mkdir(dirname(target), { recursive: true });
  if ('data' in file) {
    await writeSynced(target, file.data);
    const bytes = typeof file.data === 'string' ? Buffer.byteLength(file.data) : file.data.byteLength;
    return { path: file.name, sha256: sha256Buffer(file.data), bytes };
  }
  if (file.within !== undefined) {
    await copyChecked(file.source, target, file.name, { within: file.within, name: file.source });
    await fsyncFile(target);
    return checkDeclared(file, { path: file.name, ...(await sha256AndBytes(target)) });
  }
  // A link is followed (the producer's or the user's to make: `imk enqueue song.wav --cover pic.jpg`), but
  // only to a regular file, checked without blocking: a FIFO or a device would block or never end the copy.
  const info = await lstat(file.source).catch((error: unknown) => {
    throw new ImkError('SOURCE_MISSING', `cannot read ${file.source} for bundle file ${file.name}`, {
      cause: error,
    });
  });
  if (!info.isFile() && !info.isSymbolicLink())
    throw new ImkError('SOURCE_NOT_FILE', `${file.source} is not a regular file (bundle file ${file.name})`);
  // A move renames the name's own file: a link would have been moved as the link (a bundle holding a link,
  // which consumers refuse), or across filesystems copied as what it leads to by then.
  if (file.move === true && info.isSymbolicLink())
    throw new ImkError(
      'SOURCE_NOT_FILE',
      `${file.source} (bundle file ${file.name}) is a symbolic link; a file given with move is renamed into the bundle and must be a regular file: add it without move to copy what the link leads to`,
    );
  if (info.isSymbolicLink())
    await openUntrusted(file.source, { followLinks: true }).then(
      ({ handle }) => handle.close(),
      (error: unknown) => {
        throw new ImkError(
          isImkError(error, 'FILE_MISSING') ? 'SOURCE_MISSING' : 'SOURCE_NOT_FILE',
          `${file.source} (bundle file ${file.name}) leads to no regular file: ${errorMessage(error)}`,
          { cause: error },
        );
      },
    );
  if (file.move) await moveFile(file.source, target, file.name);
  // Copied from the descriptor opened and checked (a regular file, links followed), never by name again:
  // a source swapped for a FIFO since the checks above would block the copy (and the producer) forever.
  else await copyChecked(file.source, target, file.name, { followLinks: true, name: file.source });
  await fsyncFile(target);
  // Size and hash of one read of the copy: the bundle's files[] records them together.
  return checkDeclared(file, { path: file.name, ...(await sha256AndBytes(target)) });
}

async function moveFile(source: string, target: string, name: string): Promise<void> {
  try {
    await rename(source, target);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
  }
  // Another filesystem: copied from a descriptor opened and checked (a regular file, no link followed, as
  // rename follows none), never by name again: copyFile by name opened whatever the name stood for by then
  // (a FIFO swapped in blocked the producer forever, a link to another file of this host had that file
  // copied into the bundle). The copy is made durable by the caller.
  const copied = await copyChecked(source, target, name, { name: source });
  // Removed only while its name still stands for the file copied, never a file put in its place since.
  const now = await lstat(source).catch(() => undefined);
  if (now !== undefined && now.dev === copied.dev && now.ino === copied.ino) await unlink(source);
}

/**
 * Copies a bundle file's source to `target` from a descriptor opened the untrusted way (`open`): one the
 * open refuses (a link, a FIFO, a folder on its path leading out) cannot be taken (untakable); trouble
 * while copying it is said as notCopied. Returns the device and inode of the file copied.
 */
async function copyChecked(
  source: string,
  target: string,
  name: string,
  open: UntrustedOpenOptions,
): Promise<{ dev: number; ino: number }> {
  let opened;
  try {
    opened = await openUntrusted(source, open);
  } catch (error) {
    throw untakable(source, name, error);
  }
  try {
    await copyOpenedFile(opened.handle, target, { name: source, since: opened.stats });
  } catch (error) {
    throw notCopied(source, name, error);
  } finally {
    await opened.handle.close();
  }
  return { dev: opened.stats.dev, ino: opened.stats.ino };
}

/**
 * A source opened and checked whose copy failed. Passing trouble keeps its own code, whose catalogue
 * policy says to try again: a file written to while it was copied (FILE_CHANGED, an editor saving it, a
 * script still appending), a read that failed (FILE_READ_FAILED). The producer then takes it again later,
 * where SOURCE_NOT_FILE (a fact about the file) had it set aside for good (the inbox rejected the song).
 * A write of the copy that failed is the queue's trouble, not the source's.
 */
function notCopied(source: string, name: string, error: unknown): Error {
  // Not the source's: a write of the copy that failed (the queue's disk full: fs-safe writeError, naming
  // the file in the queue, its errno kept as its code), thrown as it is.
  if (error instanceof Error && !isImkError(error)) return error;
  if (!isImkError(error) || isRetryableError(error) !== true) return untakable(source, name, error);
  return new ImkError(
    error.code,
    `${source} (bundle file ${name}) cannot be taken now: ${errorMessage(error)}`,
    {
      cause: error,
    },
  );
}

/** A bundle file's source that could not be taken, naming it and the bundle file. */
function untakable(source: string, name: string, error: unknown): ImkError {
  return new ImkError(
    isImkError(error, 'FILE_MISSING') ? 'SOURCE_MISSING' : 'SOURCE_NOT_FILE',
    `${source} (bundle file ${name}) cannot be taken: ${errorMessage(error)}`,
    { cause: error },
  );
}

async function writeSynced(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
