import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { ImkError } from '@imk/errors';
import { formatDuration } from '@imk/media/duration-limit';
import { linkWithoutCredentials } from '@imk/retriever-sdk';
import type { YoutubeSettings } from './config.ts';
import { entriesOf, parseInfo, type YtEntry, type YtInfo } from './info.ts';
import { watchLength } from './length-watch.ts';
import type { YtDlp } from './yt-dlp.ts';
import './errors.ts';

export type JobKind = 'audio' | 'video';

export interface Downloaded {
  media: string;
  info: YtInfo;
}

const PARTIAL = new Set(['.part', '.ytdl', '.temp', '.tmp']);

/**
 * yt-dlp's format and post-processing arguments for one kind of job. `pairedWithAudio`: the video job of a
 * mode "both" pair, whose audio job downloads the same song.
 */
export function formatArgs(kind: JobKind, settings: YoutubeSettings, pairedWithAudio = false): string[] {
  const preferred = settings.audioFormat === 'm4a' ? 'bestaudio[ext=m4a]/' : '';
  if (kind === 'audio') {
    if (settings.audioFormat === 'best') return ['-f', 'bestaudio/best', '-x'];
    return ['-f', `${preferred}bestaudio/best`, '-x', '--audio-format', settings.audioFormat];
  }
  const height = settings.videoMaxHeight === undefined ? '' : `[height<=${settings.videoMaxHeight}]`;
  // The video half of a pair takes the sound its audio job takes (YouTube's AAC stream for m4a, where its
  // best is often Opus): the worker then finds the song's stems by the decoded audio and separates it once
  // (the stem cache's audio key). A webm cannot hold AAC: there, and for a video alone, the best sound.
  const sameSound = pairedWithAudio && preferred !== '' && settings.videoFormat !== 'webm';
  return [
    '-f',
    `${sameSound ? `bestvideo*${height}+bestaudio[ext=m4a]/` : ''}bestvideo*${height}+bestaudio/best${height}/best`,
    '--merge-output-format',
    settings.videoFormat,
  ];
}

/**
 * Downloads one entry into `workDir` as `media.<ext>` (and `cover.<ext>` when covers are on), and returns
 * the file and yt-dlp's metadata of what it downloaded.
 */
export async function downloadEntry(
  ytDlp: YtDlp,
  entry: YtEntry,
  kind: JobKind,
  workDir: string,
  settings: YoutubeSettings,
  signal?: AbortSignal,
  pairedWithAudio = false,
): Promise<Downloaded> {
  const args = [
    ...formatArgs(kind, settings, pairedWithAudio),
    '-P',
    workDir,
    '-o',
    'media.%(ext)s',
    ...(settings.cover ? ['--write-thumbnail', '-o', 'thumbnail:cover.%(ext)s'] : []),
    ...(entry.playlistItem === undefined
      ? ['--no-playlist']
      : ['--yes-playlist', '--playlist-items', String(entry.playlistItem)]),
    '--dump-single-json',
    '--no-simulate',
  ];
  // A source that said its length was held to maxDurationSec before the download; one that said none (a
  // web radio, a live stream) is measured as it comes, and stopped once it passes the limit.
  const watch =
    typeof entry.info.duration === 'number' ? undefined : watchLength(workDir, settings.maxDurationSec);
  let stdout: string;
  try {
    stdout = await ytDlp.run(
      args,
      entry.url,
      watch ? AbortSignal.any([watch.signal, ...(signal ? [signal] : [])]) : signal,
      workDir,
    );
  } catch (error) {
    if (watch?.overSec !== undefined && !signal?.aborted)
      throw new ImkError(
        'YT_TOO_LONG',
        `${linkWithoutCredentials(entry.url)} says no length of its own and was still coming after ${formatDuration(watch.overSec)}, longer than the limit of ${formatDuration(settings.maxDurationSec)} (maxDurationSec in config/youtube-retriever.yaml and config/instrumental-maker.yaml): an endless stream such as a web radio or a live stream? The download was stopped; nothing is queued`,
        {
          details: {
            url: linkWithoutCredentials(entry.url),
            downloaded_sec: watch.overSec,
            max_sec: settings.maxDurationSec,
          },
        },
      );
    throw error;
  } finally {
    watch?.stop();
  }
  let info = parseInfo(stdout, entry.url);
  if (info._type === 'playlist') info = entriesOf(info).find((item) => item !== null) ?? info;
  const media = await findMedia(workDir, info);
  return { media, info };
}

async function findMedia(workDir: string, info: YtInfo): Promise<string> {
  const reported = info.requested_downloads?.[0]?.filepath;
  if (reported && (await isFile(reported))) return reported;
  const names = await readdir(workDir);
  const media = names.find((name) => name.startsWith('media.') && !PARTIAL.has(extname(name).toLowerCase()));
  if (!media)
    throw new ImkError(
      'DOWNLOAD_MISSING',
      `yt-dlp finished but left no media file in ${workDir} (found: ${names.join(', ') || 'nothing'})`,
    );
  return join(workDir, media);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
