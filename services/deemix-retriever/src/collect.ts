import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, relative } from 'node:path';
import { errorMessage, stopCame } from '@imk/errors';
import type { Logger } from '@imk/log';
import { probeMedia, type MediaInfo } from '@imk/media';
import { extractCover } from '@imk/retriever-sdk';

const AUDIO_EXTENSIONS = new Set(['.mp3', '.flac', '.m4a', '.ogg', '.opus']);

export interface DownloadedTrack {
  file: string;
  /** Relative to the download folder, for messages. */
  name: string;
  info: MediaInfo;
  artist: string | undefined;
  album: string | undefined;
  title: string | undefined;
  isrc: string | undefined;
  trackNumber: string | undefined;
  /** A JPEG/PNG cover: the picture embedded in the file, else the album folder's cover.jpg. */
  cover: string | undefined;
}

/** Every audio file deemix wrote below `dir`, with the tags and cover read from the files themselves. */
export async function collectTracks(
  dir: string,
  logger: Logger,
  signal?: AbortSignal,
): Promise<DownloadedTrack[]> {
  const files = (await walk(dir)).filter((file) => AUDIO_EXTENSIONS.has(extname(file).toLowerCase())).sort();
  const tracks: DownloadedTrack[] = [];
  for (const [index, file] of files.entries()) {
    const info = await probeMedia(file, { signal });
    const tag = (...keys: string[]) => keys.map((key) => info.tags[key]?.trim()).find((value) => value);
    let cover: string | undefined;
    if (info.has_cover) {
      try {
        cover = await extractCover(file, info, join(dir, `.cover-${index}`), signal);
      } catch (error) {
        // Stopped by a stop (Ctrl-C on imk fetch, the retriever's grace over), the cover is not unreadable:
        // the track is not published without it (nor with the album folder's instead).
        if (stopCame(signal, error)) throw error;
        logger.warn({ file: basename(file), err: errorMessage(error) }, 'embedded cover not readable');
      }
    }
    cover ??= await folderCover(dirname(file));
    tracks.push({
      file,
      name: relative(dir, file),
      info,
      artist: tag('artist', 'album_artist') ?? fromFileName(file).artist,
      album: tag('album'),
      title: tag('title') ?? fromFileName(file).title,
      isrc: tag('isrc', 'tsrc'),
      trackNumber: tag('track', 'tracknumber'),
      cover,
    });
  }
  return tracks;
}

async function folderCover(dir: string): Promise<string | undefined> {
  for (const name of ['cover.jpg', 'cover.png', 'folder.jpg']) {
    try {
      if ((await stat(join(dir, name))).isFile()) return join(dir, name);
    } catch {
      // not there
    }
  }
  return undefined;
}

/** deemix names files "Artist - Title" (single tracks) or "NN - Title" (albums). */
function fromFileName(file: string): { artist: string | undefined; title: string | undefined } {
  const stem = basename(file, extname(file));
  const match = /^(.+?) - (.+)$/.exec(stem);
  if (!match) return { artist: undefined, title: stem };
  return /^\d+$/.test(match[1]!)
    ? { artist: undefined, title: match[2] }
    : { artist: match[1], title: match[2] };
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}
