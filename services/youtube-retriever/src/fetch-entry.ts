// One entry of a fetch (a video of a playlist, or the one video of a link) and one kind of it (audio or
// video): downloaded, checked, and published as one job bundle.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { ImkError, errorMessage, isImkError, stopCame } from '@imk/errors';
import type { Logger } from '@imk/log';
import { probeMedia } from '@imk/media';
import { formatDuration } from '@imk/media/duration-limit';
import { createBundle, linkWithoutCredentials, withRetry } from '@imk/retriever-sdk';
import type { DownloadArchive } from './archive.ts';
import { SERVICE_NAME, type YoutubeSettings } from './config.ts';
import { coverAsJpeg } from './cover.ts';
import { downloadEntry, type JobKind } from './download.ts';
import { checkDuration } from './duration.ts';
import type { YtEntry } from './info.ts';
import { refuseUnfinishedLive } from './live.ts';
import { mapTags } from './tags.ts';
import { ytDlpRetryOptions } from './yt-dlp-errors.ts';
import type { YtDlp } from './yt-dlp.ts';

/** The queue each kind of job is published into. */
export const QUEUE_OF: Record<JobKind, string> = { audio: 'youtube_audio', video: 'youtube_video' };

export interface EntryJob {
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

/** Published (its folder, title and a warning for the result), or skipped (why). */
export type EntryOutcome = { dir: string; title: string; warning: string | undefined } | { skipped: string };

/**
 * Downloads one entry as one kind (under the fetch's retry policy), checks its length, converts its
 * thumbnail, and publishes the bundle; a job already there (or being published) is skipped, not failed.
 */
export async function fetchEntry(job: EntryJob): Promise<EntryOutcome> {
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
        ...ytDlpRetryOptions(settings),
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
