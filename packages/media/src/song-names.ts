import { songFileName } from './file-name.ts';
import { tagNames, type MediaInfo } from './probe.ts';

export interface FileTags {
  artist: string;
  title: string;
  album: string | undefined;
  /** Where artist/title came from, recorded in the job. */
  from: 'tags' | 'file name';
}

/**
 * The names a song dropped or uploaded as `file` is published under: the file's own tags (ffprobe's, `info`);
 * when artist or title is missing, "Artist - Title" is taken from the file name (a leading track number such
 * as "03 - " or "03. " is dropped). The one reading for every producer of a local file: the inbox, the
 * dashboard's upload and `imk enqueue` (whose options come first).
 */
export function tagsFor(file: string, info: Pick<MediaInfo, 'tags'>): FileTags {
  const { artist, title, album } = tagNames(info);
  if (artist && title) return { artist, title, album, from: 'tags' };
  const parsed = parseFileName(songFileName(file));
  return {
    artist: artist ?? parsed.artist ?? 'Unknown Artist',
    title: title ?? parsed.title,
    album,
    from: 'file name',
  };
}

/** "Artist - Title" (also with – or —, or _ for spaces) out of a file's name without its extension. */
export function parseFileName(stem: string): { artist: string | undefined; title: string } {
  const cleaned = stem
    .replace(/_/g, ' ')
    .replace(/^\s*\d{1,3}\s*[-.)]\s+/, '')
    .replace(/\s+/g, ' ')
    .trim();
  const match = /^(.+?)\s+[-–—]\s+(.+)$/.exec(cleaned);
  if (!match) return { artist: undefined, title: cleaned || stem };
  return { artist: match[1]!.trim(), title: match[2]!.trim() };
}
