import { songFileName, tagNames, type MediaInfo } from '@imk/media';

export interface FileTags {
  artist: string;
  title: string;
  album: string | undefined;
  /** Where artist/title came from, recorded in the job. */
  from: 'tags' | 'file name';
}

/**
 * Tags read from the file; when artist or title is missing, "Artist - Title" is taken from the file name
 * (a leading track number such as "03 - " or "03. " is dropped).
 */
export function tagsFor(file: string, info: MediaInfo): FileTags {
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
