import { join } from 'node:path';
import { ImkError, errorMessage, isImkError, stopCame } from '@imk/errors';
import {
  emptyResult,
  existingJob,
  linkWithoutCredentials,
  parseHttpUrl,
  withRetry,
  youtubeChannelVideos,
  youtubeMix,
  type FetchOptions,
  type FetchResult,
} from '@imk/retriever-sdk';
import { createDownloadArchive, type DownloadArchive } from './archive.ts';
import { privateCookies } from './cookies.ts';
import { SERVICE_NAME, loadYoutubeSettings, type YoutubeSettings } from './config.ts';
import type { JobKind } from './download.ts';
import { entryJobId } from './entry-identity.ts';
import { stoppedError } from './errors.ts';
import { QUEUE_OF, fetchEntry } from './fetch-entry.ts';
import { listEntries, parseInfo, type YtEntry } from './info.ts';
import { expandListEntries } from './lists-of-lists.ts';
import { ytDlpRetryOptions } from './yt-dlp-errors.ts';
import { createYtDlp, type YtDlp } from './yt-dlp.ts';

export { QUEUE_OF };
export const RETRIEVER_NAME = 'youtube';

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
    ...ytDlpRetryOptions(settings),
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
    (await createYtDlp({
      binary: settings.ytDlpPath,
      logger,
      baseArgs: baseArgs(settings),
      saidAs,
      stallMs: settings.stallTimeoutSec * 1000,
    }));
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
      { ...ytDlpRetryOptions(settings), signal: options.signal, logger, what: 'yt-dlp metadata' },
    );
    return listEntries(parseInfo(listing, link), link);
  };
  const errors: unknown[] = [];
  let entries = await listOf(listed);
  // A channel's Playlists (Releases, Podcasts) tab lists playlists: the videos of each are what is meant.
  if (settings.playlist.expand) {
    const expanded = await expandListEntries(entries, {
      list: listOf,
      signal: options.signal,
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
        // Whatever the stop ended is no failure of the entry: a tool started at the very instant of a Ctrl-C
        // (in imk's process group from its fork to its setsid) dies by it with an error of its own. Recorded,
        // the last entry's stood in the result as failed (the first link of the next run, the request done).
        if (stopCame(options.signal, error))
          throw stoppedError(error, `fetch of ${parsed.href} stopped (${errorMessage(error)})`);
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

async function isNew(
  archive: DownloadArchive | undefined,
  kinds: JobKind[],
  entry: YtEntry,
): Promise<boolean> {
  if (!archive) return true;
  for (const kind of kinds) if (!(await archive.has(kind, entry.extractor, entry.key))) return true;
  return false;
}
