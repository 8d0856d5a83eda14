import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { ImkError, errorMessage, isImkError } from '@imk/errors';
import {
  createBundle,
  emptyResult,
  makeJobId,
  type FetchOptions,
  type FetchResult,
} from '@imk/retriever-sdk';
import { requireArl, writeArlFile } from './arl.ts';
import { collectTracks, type DownloadedTrack } from './collect.ts';
import { SERVICE_NAME, loadDeemixSettings, type DeemixSettings } from './config.ts';
import { parseDeezerUrl } from './deezer-url.ts';
import { explainNothingDownloaded, reportedProblems, resolveDeemix, runDeemix } from './run-deemix.ts';

export const RETRIEVER_NAME = 'deezer';

export interface FetchDeezerOptions extends FetchOptions {
  /** Settings already loaded (a running service passes its own). @default read from config/deemix-retriever.yaml */
  settings?: DeemixSettings;
  /** Where the ARL is looked up. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/**
 * Downloads a Deezer track, album or playlist with deemix and publishes one bundle per track into the
 * `other` queue (id `dz_<ISRC>`, else a hash of the tags). The ARL is written into deemix's config folder
 * first, and deemix runs with stdin closed, so it never waits at a prompt. `mode` is ignored: Deezer is audio.
 */
export async function fetchDeezer(url: string, options: FetchDeezerOptions): Promise<FetchResult> {
  const link = parseDeezerUrl(url);
  const settings = options.settings ?? (await loadDeemixSettings(options.root));
  const logger = options.logger.child({ component: SERVICE_NAME });
  const arl = await requireArl(settings.arlFile, options.env);
  const binary = await resolveDeemix(settings.deemixPath);
  await writeArlFile(settings.configHome, arl.arl);
  logger.info({ url: link.url, bitrate: settings.bitrate, arl_from: arl.from }, 'fetching from Deezer');

  await mkdir(settings.workDir, { recursive: true });
  const outDir = await mkdtemp(join(settings.workDir, 'dz-'));
  const result = emptyResult(RETRIEVER_NAME, link.url);
  try {
    const output = await runDeemix({
      binary,
      url: link.url,
      bitrate: settings.bitrate,
      outDir,
      configHome: settings.configHome,
      timeoutMs: settings.timeoutMs,
      logger,
      signal: options.signal,
    });
    const tracks = await collectTracks(outDir, logger, options.signal);
    if (tracks.length === 0) throw explainNothingDownloaded(output, link.url, settings.bitrate);
    // Some tracks came and deemix said others did not (exit code 0 all the same): each is a failure, as a
    // video of a playlist is, so the request is not taken for complete; the tracks that came are queued.
    for (const problem of reportedProblems(output))
      result.failures.push({
        code: problem.code,
        message: `deemix did not download everything of ${link.url}; it said: ${problem.line}`,
      });
    for (const track of tracks) {
      const jobId = trackJobId(track);
      // Stopped once the download was done: nothing more is published (the download folder goes), and the
      // request is handled again at the next start (what was queued already is skipped then).
      if (options.signal?.aborted)
        throw new ImkError('ABORTED', `the fetch of ${link.url} was stopped`, {
          cause: options.signal.reason,
        });
      try {
        const bundle = createBundle({
          queueDir: settings.queueDir,
          jobId,
          sourceType: 'deemix',
          producer: SERVICE_NAME,
          logger,
        })
          .setTags({ artist: track.artist, album: track.album, title: track.title })
          .addAudio(track.file, { name: `audio${extname(track.file).toLowerCase()}`, move: true })
          .set('deezer', deezerBlock(link, track, settings));
        if (track.cover) bundle.addCover(track.cover, { name: `cover${extname(track.cover).toLowerCase()}` });
        const published = await bundle.publish();
        result.jobs.push({ jobId, queue: settings.queue, dir: published.dir, title: track.title });
      } catch (error) {
        // Already queued, or being published by another request this moment: one job, not a failure.
        if (isImkError(error, 'JOB_EXISTS') || isImkError(error, 'JOB_IN_PROGRESS'))
          result.skipped.push({ id: jobId, reason: errorMessage(error) });
        else
          result.failures.push({
            id: jobId,
            code: isImkError(error) ? error.code : 'FAILED',
            message: errorMessage(error),
          });
      }
    }
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
  return result;
}

/**
 * `dz_<ISRC>` (the same recording gets the same id, so a second fetch is refused as JOB_EXISTS), else a hash
 * of the tags with the track number: an album may hold two tracks of one title (two "Interlude"s).
 */
export function trackJobId(
  track: Pick<DownloadedTrack, 'isrc' | 'artist' | 'album' | 'title' | 'trackNumber'>,
): string {
  if (track.isrc && /^[A-Za-z0-9]{12}$/.test(track.isrc)) return makeJobId('dz', track.isrc.toUpperCase());
  const key = [track.artist, track.album, track.title, track.trackNumber]
    .map((part) => part ?? '')
    .join('\u0000');
  return makeJobId('dz', createHash('sha256').update(key).digest('hex').slice(0, 16));
}

function deezerBlock(
  link: ReturnType<typeof parseDeezerUrl>,
  track: DownloadedTrack,
  settings: DeemixSettings,
): Record<string, unknown> {
  const block: Record<string, unknown> = {
    url: link.url,
    kind: link.kind,
    id: link.id,
    isrc: track.isrc,
    track_number: track.trackNumber,
    bitrate: settings.bitrate,
    duration_sec: track.info.duration_sec,
  };
  return Object.fromEntries(
    Object.entries(block).filter(([, value]) => value !== undefined && value !== null),
  );
}
