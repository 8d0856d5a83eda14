import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { ImkError } from '@imk/errors';
import type { YoutubeSettings } from './config.ts';
import { entriesOf, parseInfo, type YtEntry, type YtInfo } from './info.ts';
import type { YtDlp } from './yt-dlp.ts';
import './errors.ts';

export type JobKind = 'audio' | 'video';

export interface Downloaded {
  media: string;
  info: YtInfo;
}

const PARTIAL = new Set(['.part', '.ytdl', '.temp', '.tmp']);

/** yt-dlp's format and post-processing arguments for one kind of job. */
export function formatArgs(kind: JobKind, settings: YoutubeSettings): string[] {
  if (kind === 'audio') {
    if (settings.audioFormat === 'best') return ['-f', 'bestaudio/best', '-x'];
    const preferred = settings.audioFormat === 'm4a' ? 'bestaudio[ext=m4a]/' : '';
    return ['-f', `${preferred}bestaudio/best`, '-x', '--audio-format', settings.audioFormat];
  }
  const height = settings.videoMaxHeight === undefined ? '' : `[height<=${settings.videoMaxHeight}]`;
  return [
    '-f',
    `bestvideo*${height}+bestaudio/best${height}/best`,
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
): Promise<Downloaded> {
  const args = [
    ...formatArgs(kind, settings),
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
  const stdout = await ytDlp.run(args, entry.url, signal);
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
