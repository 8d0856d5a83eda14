import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ImkError, isImkError } from '@imk/errors';
import { isQueueFileName } from '@imk/fsqueue';
import { JOB_FILE, describeProblems, readBundle, type Manifest } from '@imk/protocol';
import { createBundle } from '@imk/retriever-sdk';
// SOURCE_GONE's policy (410) comes from the web catalogue, loaded here so the route can ask the error.
import '../errors.ts';
import type { WebContext } from '../context.ts';
import { oneAtATime } from './one-at-a-time.ts';
import { findFolderJob, listFolderJobs, queueNames, type FolderJob } from './queue-folders.ts';

/** Fields of the earlier job.json the new bundle does not take over (publishing writes its own). */
const NOT_COPIED = new Set(['job_id', 'files', 'created_at', 'producer', 'options']);

/** Job ids of "Separate again" jobs for `jobId`: `<jobId>_again_<time><random>` (the prefix cut to fit). */
function againPrefix(jobId: string): string {
  return `${jobId.slice(0, 170)}_again_`;
}

/** A "Separate again" job for `jobId` still waiting or running, if any (its id and queue). */
export async function pendingAgain(
  ctx: WebContext,
  jobId: string,
): Promise<{ job_id: string; queue: string } | undefined> {
  const prefix = againPrefix(jobId);
  for (const queue of await queueNames(ctx.paths.queues)) {
    const found = (await listFolderJobs(ctx.paths.queues, queue, ['tmp', 'ready', 'claimed'])).find((f) =>
      f.job_id.startsWith(prefix),
    );
    if (found) return { job_id: found.job_id, queue };
  }
  return undefined;
}

/** The job's bundle in a queue's succeeded archive (what "Separate again" is made from), if still there. */
export async function archivedBundle(ctx: WebContext, jobId: string): Promise<FolderJob | undefined> {
  return (await findFolderJob(ctx.paths.queues, jobId)).filter((f) => f.state === 'succeeded').at(-1);
}

/** Why a job cannot be separated again from its bundle. */
export function sourceGone(jobId: string): string {
  return `the song of job ${jobId} is no longer in a queue's succeeded archive either (cleaned up by retention, queues/<queue>/succeeded/); add the song again to mix it`;
}

/** Every file (every entry but folders) of a bundle folder but job.json and the queue's own files (`imk-*`). */
async function bundleFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  // Every entry but folders: a link, a FIFO or a device in the bundle is refused by the copy, naming it,
  // not left out of the new bundle without a word (its job.json would name a file it does not hold).
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .filter((path) => path !== JOB_FILE && !isQueueFileName(path));
}

/**
 * "Separate again", for a published job whose stems left the stem cache: its bundle, still in the queue's
 * succeeded archive, is published again as a new job in the same queue, with the same files, tags and
 * options, the engine (and parameters) its manifest records, and `duplicates: process` so that it is not
 * linked to the earlier job's files. The worker separates the song, which puts its stems back in the cache
 * under the same key: the mixer of the earlier job works again.
 */
export function separateAgain(
  ctx: WebContext,
  jobId: string,
  manifest: Manifest,
): Promise<{ job_id: string; queue: string; pending: boolean }> {
  // One request for a job at a time: side by side (a double click, two tabs), each found none waiting
  // and each queued a whole separation of the song. The next one now finds the first one's job.
  return oneAtATime(
    `separate-again\0${ctx.paths.root}\0${jobId}`,
    () => queueAgain(ctx, jobId, manifest),
    () =>
      ctx.logger.debug(
        { job_id: jobId },
        '"Separate again" of this job is being handled: answering after it',
      ),
  );
}

async function queueAgain(
  ctx: WebContext,
  jobId: string,
  manifest: Manifest,
): Promise<{ job_id: string; queue: string; pending: boolean }> {
  const pending = await pendingAgain(ctx, jobId);
  if (pending) return { ...pending, pending: true };
  const archived = await archivedBundle(ctx, jobId);
  if (!archived) throw new ImkError('SOURCE_GONE', sourceGone(jobId));
  // Read as the worker read it (protocol's one bundle reader: the earlier version's nulls are absent). The
  // files are not hashed here, by a read of their own: each copy is checked against what the archived
  // job.json declares (its files[]) as it is published (below), the bytes the new job holds and separates.
  const read = await readBundle(archived.dir, { verifyHashes: false });
  if (!read.ok)
    throw new ImkError(
      'SOURCE_GONE',
      `the archived bundle of job ${jobId} (${archived.dir}) cannot be read again (${describeProblems(read.problems)}); add the song again to mix it`,
    );
  const { job } = read;
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const bundle = createBundle({
    jobId: `${againPrefix(jobId)}${stamp}${randomBytes(2).toString('hex')}`,
    sourceType: job.source_type,
    queue: archived.queue,
    root: ctx.paths.root,
    producer: 'web-mixer',
    logger: ctx.logger,
  });
  for (const [field, value] of Object.entries(job)) if (!NOT_COPIED.has(field)) bundle.set(field, value);
  const used = manifest.options;
  bundle.set('options', {
    ...job.options,
    engine: used?.engine ?? manifest.engine.name,
    ...(used?.engine_params !== undefined && { engine_params: used.engine_params }),
    duplicates: 'process',
  });
  bundle.set('separate_again_of', jobId);
  // Copied from a descriptor opened inside the archived bundle (no link followed): a file listed as regular
  // above may have become a link to another file of this host since.
  // Each copy must be what the archived job.json declares: an archive damaged (or a file replaced) since
  // the job ran was queued without a word, and a different song separated and published as this one.
  const declared = new Map((job.files ?? []).map((file) => [file.path, file]));
  for (const path of await bundleFiles(archived.dir)) {
    const entry = declared.get(path);
    bundle.addFile(path, join(archived.dir, path), {
      within: archived.dir,
      ...(entry && { declared: { sha256: entry.sha256, bytes: entry.bytes } }),
    });
  }
  const published = await bundle.publish().catch((error: unknown) => {
    if (!isImkError(error, 'SOURCE_CHANGED')) throw error;
    throw damaged(ctx, jobId, archived, error);
  });
  return { job_id: published.jobId, queue: archived.queue, pending: false };
}

/** "Separate again" refused: a file of the archived bundle is not what its job.json declares (said in the log too). */
function damaged(ctx: WebContext, jobId: string, archived: FolderJob, cause: ImkError): ImkError {
  const details = cause.details as
    { file?: string; declared_sha256?: string; actual_sha256?: string } | undefined;
  const file = details?.file ?? '(a file)';
  const error = new ImkError(
    'SOURCE_DAMAGED',
    `the archived bundle of job ${jobId} (${archived.dir}) is damaged: its ${file} has sha256 ${details?.actual_sha256 ?? '?'}, but its job.json declares ${details?.declared_sha256 ?? '?'} (the file was damaged or replaced after the job ran). Nothing was queued, and the archive is left as it is; add the song again to mix it`,
    { cause, details: { job_id: jobId, file, dir: archived.dir, ...details } },
  );
  ctx.logger.warn({ job_id: jobId, file, dir: archived.dir }, error.message);
  return error;
}
