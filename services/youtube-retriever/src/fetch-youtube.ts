import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { ImkError, errorMessage, isImkError, stopCame } from '@imk/errors';
import type { Logger } from '@imk/log';
import { probeMedia } from '@imk/media';
import { formatDuration } from '@imk/media/duration-limit';
import {
  createBundle,
  emptyResult,
  existingJob,
  linkWithoutCredentials,
  parseHttpUrl,
  withRetry,
  youtubeChannelVideos,
  youtubeMix,
  type RetryOptions,
  type FetchOptions,
  type FetchResult,
} from '@imk/retriever-sdk';
import { createDownloadArchive, type DownloadArchive } from './archive.ts';
import { privateCookies } from './cookies.ts';
import { SERVICE_NAME, loadYoutubeSettings, type YoutubeSettings } from './config.ts';
import { coverAsJpeg } from './cover.ts';
import { downloadEntry, type JobKind } from './download.ts';
import { checkDuration } from './duration.ts';
import { entryJobId } from './entry-identity.ts';
import { listEntries, parseInfo, type YtEntry } from './info.ts';
import { expandListEntries } from './lists-of-lists.ts';
import { refuseUnfinishedLive } from './live.ts';
import { mapTags } from './tags.ts';
import { isRetryableYtDlpError } from './yt-dlp-errors.ts';
import { createYtDlp, type YtDlp } from './yt-dlp.ts';

export const RETRIEVER_NAME = 'youtube';
export const QUEUE_OF: Record<JobKind, string> = { audio: 'youtube_audio', video: 'youtube_video' };

export interface FetchYoutubeOptions extends FetchOptions {
  /** Settings already loaded (a running service passes its own). @default read from config/youtube-retriever.yaml */
  settings?: YoutubeSettings;
  ytDlp?: YtDlp;
  /** At most this many entries not in the archive are fetched; the others wait for the next call. */
  limit?: number;
}

/** yt-dlp arguments every call gets: no user config, no update check, timeouts, retries, cookies. */
export function baseArgs(settings: YoutubeSettings): string[] {
  const retries = String(settings.retries.ytDlpRetries);
  return [
    '--ignore-config',
    '--no-update',
    '--no-progress',
    '--no-colors',
    '--socket-timeout',
    String(settings.socketTimeoutSec),
    '--retries',
    retries,
    '--fragment-retries',
    retries,
    '--retry-sleep',
    'http:exp=1:10',
    '--cache-dir',
    settings.cacheDir,
    ...(settings.cookiesFile === undefined ? [] : ['--cookies', settings.cookiesFile]),
    ...settings.extraArgs,
  ];
}

/**
 * Fetches a URL (a video or a playlist) with yt-dlp and publishes one bundle per video and kind into
 * `youtube_audio` / `youtube_video`, with ids `yt_<videoId>_audio` / `yt_<videoId>_video` (other sites:
 * see entryJobId). Videos in the download archive are skipped. Throws when the URL itself cannot be read, or when every video failed;
 * otherwise returns what was published, skipped and failed.
 */
export async function fetchYoutube(url: string, options: FetchYoutubeOptions): Promise<FetchResult> {
  parseHttpUrl(url);
  const settings = options.settings ?? (await loadYoutubeSettings(options.root));
  if (settings.cookiesFile === undefined) return fetchWithSettings(url, options, settings);
  // yt-dlp gets a private copy of the cookies file, never the user's own (cookies.ts). Read under the fetch's
  // one retry policy: a file not there yet (COOKIES_MISSING, retryable: it may be being copied) is looked for
  // again with the same backoff as a yt-dlp run, and one that is no cookies file (COOKIES_UNUSABLE) is not.
  const cookiesFile = settings.cookiesFile;
  const cookies = await withRetry(() => privateCookies(cookiesFile), {
    ...retryOptions(settings),
    signal: options.signal,
    logger: options.logger.child({ component: SERVICE_NAME }),
    what: `reading the cookies file ${cookiesFile}`,
  });
  try {
    // yt-dlp's errors quote the file it was given ("'/tmp/imk-cookies-…/cookies.txt' does not look like a
    // Netscape format cookies file"): the user is told the file they configured, the one they can fix.
    const saidAs = new Map([[cookies.file, cookiesFile]]);
    return await fetchWithSettings(url, options, { ...settings, cookiesFile: cookies.file }, saidAs);
  } finally {
    await cookies.remove();
  }
}

async function fetchWithSettings(
  url: string,
  options: FetchYoutubeOptions,
  settings: YoutubeSettings,
  saidAs?: ReadonlyMap<string, string>,
): Promise<FetchResult> {
  const parsed = parseHttpUrl(url);
  const logger = options.logger.child({ component: SERVICE_NAME });
  const ytDlp =
    options.ytDlp ??
    (await createYtDlp({ binary: settings.ytDlpPath, logger, baseArgs: baseArgs(settings), saidAs }));
  const mode = options.mode ?? settings.defaultMode;
  const kinds: JobKind[] = mode === 'both' ? ['audio', 'video'] : [mode];
  const result = emptyResult(RETRIEVER_NAME, parsed.href);

  // A Mix has no end and is made up anew at every visit: only the video its link plays is fetched.
  const mix = youtubeMix(parsed.href);
  if (mix && mix.video === undefined)
    throw new ImkError(
      'UNSUPPORTED_URL',
      `${parsed.href} is a YouTube Mix or radio (list=${mix.list}) without a video: it has no end and is made up anew at every visit, so it is not fetched; send the link of a video (watch?v=…), a playlist (list=PL…) or a channel`,
    );
  const playlistArgs =
    settings.playlist.expand && !mix
      ? ['--yes-playlist', '--playlist-end', String(settings.playlist.maxEntries)]
      : ['--no-playlist'];
  if (mix && settings.playlist.expand) {
    const said = `${parsed.href} is a YouTube Mix (list=${mix.list}), which has no end: only its video ${mix.video ?? ''} is fetched, not the songs YouTube would play after it`;
    result.warnings.push(said);
    logger.info({ url: parsed.href }, said);
  }
  // A channel's own page lists its tabs (Videos, Shorts, Live), not videos: its Videos tab is what is meant.
  const listed = (settings.playlist.expand && youtubeChannelVideos(parsed.href)) || parsed.href;
  if (listed !== parsed.href)
    logger.info({ url: parsed.href, listed }, `a channel link: its videos are listed from ${listed}`);
  const listOf = async (link: string): Promise<YtEntry[]> => {
    const listing = await withRetry(
      () => ytDlp.run(['--dump-single-json', '--flat-playlist', ...playlistArgs], link, options.signal),
      { ...retryOptions(settings), signal: options.signal, logger, what: 'yt-dlp metadata' },
    );
    return listEntries(parseInfo(listing, link), link);
  };
  const errors: unknown[] = [];
  let entries = await listOf(listed);
  // A channel's Playlists (Releases, Podcasts) tab lists playlists: the videos of each are what is meant.
  if (settings.playlist.expand) {
    const expanded = await expandListEntries(entries, {
      list: listOf,
      maxEntries: settings.playlist.maxEntries,
      logger,
      shown: linkWithoutCredentials(parsed.href),
    });
    entries = expanded.entries;
    result.warnings.push(...expanded.warnings);
    for (const { link, error } of expanded.failures) {
      errors.push(error);
      result.failures.push({
        id: link,
        code: isImkError(error) ? error.code : 'FAILED',
        message: errorMessage(error),
      });
    }
  }
  // An empty playlist (a new one, a subscription with nothing yet, only private videos) is nothing to do,
  // not a failure: the request is done, and the warning says why nothing came.
  if (entries.length === 0 && errors.length === 0) {
    result.warnings.push(`${parsed.href} is a playlist with no videos that can be fetched (yet)`);
    logger.info({ url: parsed.href }, 'empty playlist: nothing to fetch');
    return result;
  }
  logger.info({ url: parsed.href, entries: entries.length, mode }, 'fetching');

  const archive = settings.downloadArchive.enabled ? createDownloadArchive(settings.archiveDir) : undefined;
  let started = 0;
  let held = 0;
  for (const entry of entries) {
    // An entry counts against the limit once it is fetched. One that fails (a removed episode, a private
    // video) does not: counted, it failed again at every run and held back every entry after it for ever.
    const counted = options.limit !== undefined && (await isNew(archive, kinds, entry));
    if (counted && started >= (options.limit ?? Infinity)) {
      held += 1;
      continue;
    }
    const jobsBefore = result.jobs.length;
    for (const kind of kinds) {
      if (options.signal?.aborted) throw new ImkError('ABORTED', `fetch of ${parsed.href} aborted`);
      const jobId = entryJobId(entry, kind);
      try {
        if (archive && (await archive.has(kind, entry.extractor, entry.key))) {
          result.skipped.push({ id: jobId, reason: `already fetched (in ${archive.file(kind)})` });
          continue;
        }
        // Already in the queue (another subscription or request listed it): one job, and not downloaded
        // again only to be refused at publish. Archived here too, so it is not asked about at every run.
        const queued = await existingJob(join(settings.queuesDir, QUEUE_OF[kind]), jobId);
        if (queued) {
          await archive?.add(kind, entry.extractor, entry.key);
          result.skipped.push({ id: jobId, reason: errorMessage(queued) });
          continue;
        }
        const published = await fetchEntry({
          entry,
          kind,
          jobId,
          settings,
          ytDlp,
          logger,
          archive,
          signal: options.signal,
          // The video half of a "both" pair publishes the video only: the audio job publishes the rest.
          pairedAudioJob: mode === 'both' && kind === 'video' ? entryJobId(entry, 'audio') : undefined,
        });
        if ('skipped' in published) {
          result.skipped.push({ id: jobId, reason: published.skipped });
          continue;
        }
        if (published.warning !== undefined) result.warnings.push(published.warning);
        result.jobs.push({ jobId, queue: QUEUE_OF[kind], dir: published.dir, title: published.title });
      } catch (error) {
        if (isImkError(error, 'ABORTED')) throw error;
        errors.push(error);
        result.failures.push({
          id: jobId,
          code: isImkError(error) ? error.code : 'FAILED',
          message: errorMessage(error),
        });
        logger.warn({ job_id: jobId, err: errorMessage(error) }, 'entry failed');
      }
    }
    // Only what became a job counts: one another list already queued (skipped) takes no place either.
    if (counted && result.jobs.length > jobsBefore) started += 1;
  }
  if (held > 0)
    logger.info(
      { url: parsed.href, limit: options.limit, held },
      'limit reached; the other new entries wait for the next run',
    );
  if (result.jobs.length === 0 && result.skipped.length === 0 && errors.length > 0) {
    if (errors.length === 1) throw errors[0];
    throw new ImkError(
      'FETCH_FAILED',
      `every video of ${parsed.href} failed: ${result.failures.map((f) => `${f.id}: ${f.message}`).join('; ')}`,
    );
  }
  return result;
}

interface EntryJob {
  entry: YtEntry;
  kind: JobKind;
  jobId: string;
  settings: YoutubeSettings;
  ytDlp: YtDlp;
  logger: Logger;
  archive: DownloadArchive | undefined;
  signal: AbortSignal | undefined;
  /** Mode "both", the video job: the id of the same song's audio job (job.json `paired_audio_job`). */
  pairedAudioJob?: string;
}

type EntryOutcome = { dir: string; title: string; warning: string | undefined } | { skipped: string };

async function fetchEntry(job: EntryJob): Promise<EntryOutcome> {
  const { entry, kind, jobId, settings, signal } = job;
  const logger = job.logger.child({ job_id: jobId });
  refuseUnfinishedLive(entry);
  // Said before hours of video are downloaded for a job the worker would refuse.
  const listed = entry.info.duration;
  if (typeof listed === 'number' && listed > settings.maxDurationSec)
    throw new ImkError(
      'YT_TOO_LONG',
      `${linkWithoutCredentials(entry.url)} lasts ${formatDuration(listed)}, longer than the limit of ${formatDuration(settings.maxDurationSec)} (maxDurationSec in config/youtube-retriever.yaml and config/instrumental-maker.yaml); not downloaded`,
      {
        details: {
          url: linkWithoutCredentials(entry.url),
          duration_sec: listed,
          max_sec: settings.maxDurationSec,
        },
      },
    );
  await mkdir(settings.workDir, { recursive: true });
  const workDir = await mkdtemp(join(settings.workDir, `${jobId}-`));
  try {
    const downloaded = await withRetry(
      () =>
        downloadEntry(job.ytDlp, entry, kind, workDir, settings, signal, job.pairedAudioJob !== undefined),
      {
        ...retryOptions(settings),
        signal,
        logger,
        what: `yt-dlp download of ${entry.url}`,
      },
    );
    const info = { ...entry.info, ...downloaded.info, ...transparentFields(entry.info) };
    const probed = await probeMedia(downloaded.media, { signal });
    const online = entry.info.duration ?? downloaded.info.duration ?? null;
    const validation = checkDuration(online, probed.duration_sec, settings.durationCheck);
    let warning: string | undefined;
    if (validation.duration_checks === 'fail') {
      const details = validation.details;
      const text = `downloaded ${String(details.downloaded_duration_sec)} s but the source says ${String(details.online_duration_sec)} s (tolerance ${String(details.tolerance_sec)} s)`;
      if (settings.durationCheck.onMismatch === 'fail')
        throw new ImkError(
          'DURATION_MISMATCH',
          `${jobId}: ${text}; the download is probably cut short. Set durationCheck.onMismatch: warn to accept it`,
          { details },
        );
      warning = `${jobId}: ${text}; published anyway (durationCheck.onMismatch: warn)`;
    }
    let cover: string | undefined;
    if (settings.cover) {
      try {
        cover = await coverAsJpeg(workDir, signal);
      } catch (error) {
        // Stopped by a stop (Ctrl-C on imk fetch, a retriever's grace over), the thumbnail is not unusable:
        // the entry is not published without its cover.
        if (stopCame(signal, error)) throw error;
        logger.warn({ err: errorMessage(error) }, 'thumbnail not usable; publishing without a cover');
      }
    }
    const tags = mapTags(info, settings.tags);
    const bundle = createBundle({
      queueDir: join(settings.queuesDir, QUEUE_OF[kind]),
      jobId,
      sourceType: 'youtube',
      producer: SERVICE_NAME,
      logger,
    }).setTags(tags);
    const name = `${kind}${extname(downloaded.media).toLowerCase()}`;
    if (kind === 'audio') bundle.addAudio(downloaded.media, { name, move: true });
    else bundle.addVideo(downloaded.media, { name, move: true });
    if (cover) bundle.addCover(cover, { name: 'cover.jpg', move: true });
    bundle.set('youtube', youtubeBlock(entry, info, online)).set('validation', validation);
    if (job.pairedAudioJob !== undefined) bundle.set('paired_audio_job', job.pairedAudioJob);
    // Stopped once the download was done: nothing is published, nothing half-done kept (the work folder goes).
    if (signal?.aborted)
      throw new ImkError('ABORTED', `the fetch of ${linkWithoutCredentials(entry.url)} was stopped`);
    try {
      const published = await bundle.publish();
      await job.archive?.add(kind, entry.extractor, entry.key);
      return { dir: published.dir, title: tags.title, warning };
    } catch (error) {
      // Another request for the same video is publishing it this moment (a double-clicked Fetch button):
      // one job, as for a job already queued, not a failure of this request.
      if (isImkError(error, 'JOB_IN_PROGRESS')) return { skipped: errorMessage(error) };
      if (!isImkError(error, 'JOB_EXISTS')) throw error;
      await job.archive?.add(kind, entry.extractor, entry.key);
      return { skipped: errorMessage(error) };
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * What a `url_transparent` entry says of itself (an RSS item's title, duration, thumbnail): yt-dlp lets these
 * override what the page it points to gives (an enclosure's file name as title), and so do we.
 */
function transparentFields(info: YtEntry['info']): Partial<YtEntry['info']> {
  if (info._type !== 'url_transparent') return {};
  const own = Object.entries(info).filter(
    ([key, value]) =>
      value !== null && value !== undefined && !['_type', 'url', 'ie_key', 'id'].includes(key),
  );
  return Object.fromEntries(own);
}

function youtubeBlock(entry: YtEntry, info: YtEntry['info'], online: number | null): Record<string, unknown> {
  const block: Record<string, unknown> = {
    video_id: entry.id,
    // A file server's login in the link (user:password@) stays with the request, not in the job.
    url: linkWithoutCredentials(info.webpage_url ?? entry.url),
    channel: info.channel ?? info.uploader ?? undefined,
    title: info.title ?? undefined,
    online_duration_sec: online,
    upload_date: info.upload_date ?? undefined,
    thumbnail_url: info.thumbnail ? linkWithoutCredentials(info.thumbnail) : undefined,
    extractor: entry.extractor,
    track: info.track ?? undefined,
    artist: info.artist ?? undefined,
    album: info.album ?? undefined,
  };
  return Object.fromEntries(Object.entries(block).filter(([, value]) => value !== undefined));
}

async function isNew(
  archive: DownloadArchive | undefined,
  kinds: JobKind[],
  entry: YtEntry,
): Promise<boolean> {
  if (!archive) return true;
  for (const kind of kinds) if (!(await archive.has(kind, entry.extractor, entry.key))) return true;
  return false;
}

function retryOptions(settings: YoutubeSettings): RetryOptions {
  const { attempts, backoffMs, maxBackoffMs } = settings.retries;
  return { attempts, backoffMs, maxBackoffMs, isRetryable: isRetryableYtDlpError };
}
