import { mkdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { QUEUE_NAMES } from '@imk/config';
import { ImkError } from '@imk/errors';
import { digestHandle, openUntrusted, resolveInside } from '@imk/fs-safe';
import { findJobFolders, listQueueNames } from '@imk/fsqueue';
import type { Logger } from '@imk/log';
import { probeMedia } from '@imk/media';
import type { Manifest } from '@imk/protocol';
import { nullResidualDb, type SeparationResult } from '@imk/separation';
import type { WorkerContext } from './context.ts';
import { decodeToWav } from './decode-input.ts';
import type { ReportProgress } from './stage-runner.ts';
import { stemCacheDirOf } from './stem-cache-dir.ts';
import { stemCacheKey } from './stem-cache.ts';
import './errors.ts';

/** The ids a song's bundle may be archived under: its own, and (a legacy bundle's song 2, 3…) the bundle's. */
function bundleIds(jobId: string): string[] {
  const song = /^(.+)-\d+$/.exec(jobId);
  return song === null ? [jobId] : [jobId, song[1]!];
}

/**
 * The song job `jobId` was made from, in a queue's succeeded archive on this host's view of queues/: the
 * file its manifest names (input.path) with the sha256 it records, so that the stems made from it are
 * the job's own, and the archived bundle it is in (`dir`). Undefined when no archive holds it any more
 * (cleaned up by retention). The archive is a folder someone else wrote: a song that is a link, a FIFO, or
 * on a path through a link leaving the bundle is not taken. It is returned open (`handle`, the caller
 * closes it): the descriptor hashed is the one probed and decoded, so a song replaced in the archive
 * after the hash (another file renamed over it) is never separated and cached as this one.
 */
export async function archivedSong(
  ctx: WorkerContext,
  jobId: string,
  source: Manifest,
): Promise<{ file: string; dir: string; handle: FileHandle } | undefined> {
  const name = source.input.path;
  if (name === undefined) return undefined;
  for (const queue of await listQueueNames(ctx.paths.queues, QUEUE_NAMES)) {
    for (const id of bundleIds(jobId)) {
      const folders = await findJobFolders(join(ctx.paths.queues, queue), id);
      // The newest archive of that id last: looked at first.
      for (const { state, dir } of folders.reverse()) {
        if (state !== 'succeeded') continue;
        const file = await resolveInside(dir, name).catch(() => undefined);
        if (file === undefined) continue;
        const opened = await openUntrusted(file, { name, within: dir }).catch(() => undefined);
        if (opened === undefined) continue;
        const digest = await digestHandle(opened.handle, ['sha256']).catch(() => undefined);
        if (digest?.sha256 === source.input.sha256) return { file, dir, handle: opened.handle };
        await opened.handle.close();
      }
    }
  }
  return undefined;
}

export interface SeparateAgainInput {
  ctx: WorkerContext;
  /** The remix job, and the job whose outputs it joins (for messages). */
  remixId: string;
  target: string;
  source: Manifest;
  work: string;
  signal: AbortSignal;
  progress: ReportProgress;
  logger: Logger;
}

/**
 * The stems of job `target` when this worker's stem cache does not hold them (the cache is per host by
 * default: another host separated the song, or they were cleaned up): its song, still in a queue's
 * succeeded archive, separated again here by the engine its manifest records, and stored in the cache
 * under the same key. Without the song, STEMS_NOT_CACHED says what to do, naming the job.
 */
export async function separateAgainHere(input: SeparateAgainInput): Promise<SeparationResult['stems']> {
  const { ctx, remixId, target, source } = input;
  const archived = await archivedSong(ctx, target, source);
  if (archived === undefined) throw stemsNotCached(ctx, remixId, target);
  try {
    return await separateArchived(input, archived);
  } finally {
    await archived.handle.close();
  }
}

/** separateAgainHere with the song found and open: probed, decoded and separated from that descriptor. */
async function separateArchived(
  input: SeparateAgainInput,
  archived: { file: string; dir: string; handle: FileHandle },
): Promise<SeparationResult['stems']> {
  const { ctx, target, source, work, signal, logger } = input;
  const { file: song, dir: within, handle } = archived;
  logger.info(
    { job_id: target, file: song },
    `the stems of job ${target} are not in this worker's stem cache; separating its archived song again`,
  );
  const engine = await ctx.engines.get({ name: source.engine.name, params: source.engine.params }, signal);
  const facts = { name: engine.name, version: engine.version, params: engine.params };
  const key = stemCacheKey({ inputSha256: source.input.sha256, engine: facts });
  const mixture = join(work, 'mixture.wav');
  // Read from the descriptor hashed, never by name: the song replaced in the archive, or a folder on its
  // path swapped for a link, since it was hashed is not what is separated and cached as this job's song.
  const timeoutMs = ctx.config.probeTimeoutSec * 1000;
  const probed = await probeMedia(song, { signal, timeoutMs, within, handle });
  // Decoding is the first fifth of the stage's progress, the engine the rest.
  // What ffmpeg says of the song's damage is kept with its stems, for a later job's hit to quote.
  let decodeErrors: string[] = [];
  await decodeToWav(
    song,
    mixture,
    probed,
    signal,
    (f) => input.progress(f * 0.2),
    within,
    handle,
    (lines) => {
      decodeErrors = lines;
    },
  );
  const engineDir = ctx.cache ? await ctx.cache.workDir(key) : join(work, 'stems');
  await mkdir(engineDir, { recursive: true });
  try {
    const result = await engine.separate({
      input: mixture,
      workDir: engineDir,
      signal,
      onProgress: (f) => input.progress(0.2 + f * 0.8),
      logger: logger.child({ component: 'engine', engine: engine.name }),
    });
    if (!ctx.cache) return result.stems;
    const residual = await nullResidualDb(mixture, result.stems, { signal });
    const inputFacts = { inputSha256: source.input.sha256, engine: facts };
    return (
      await ctx.cache.store(key, inputFacts, result, engineDir, {
        nullResidualDb: residual,
        decodeErrors,
        inputPath: song,
      })
    ).stems;
  } catch (error) {
    if (ctx.cache) await ctx.cache.discard(engineDir);
    throw error;
  }
}

/** The remix cannot be made here: neither stems in this worker's cache nor the song to separate again. */
function stemsNotCached(ctx: WorkerContext, remixId: string, target: string): ImkError {
  const where = ctx.cache
    ? `this worker's stem cache (${stemCacheDirOf(ctx.config, ctx.paths)})`
    : "this worker's stem cache, which is off (stemCache.enabled: false)";
  return new ImkError(
    'STEMS_NOT_CACHED',
    `remix ${remixId}: the stems of job ${target} are not in ${where}, and its song is no longer in a queue's succeeded archive to separate again. The stem cache is per host unless stemCache.dir in config/instrumental-maker.yaml names one folder every worker shares (set it on every host); to mix this song now, separate job ${target} again (the page's "Separate again", or add the song again), then save the mix`,
    { details: { job_id: target } },
  );
}
