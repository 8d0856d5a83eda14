import { parseFileName } from '@imk/media';
import type { Tags } from '@imk/retriever-sdk';
import type { YoutubeConfig } from './config.ts';
import type { YtInfo } from './info.ts';

/**
 * Picks artist / album / title from yt-dlp's metadata: for each tag the first listed field with a value
 * (`=text` is literal text). Defaults: artist = channel, album = "YTDL", title = video title.
 * A link straight to a media file (yt-dlp's generic extractor: its title is the file's name) with no artist
 * field is named as a dropped or uploaded file is: "Artist - Title" split by @imk/media's parseFileName, the
 * one reading of song file names, not "Unknown Artist" with the whole name as its title.
 */
export function mapTags(info: YtInfo, mapping: YoutubeConfig['tags']): Required<Tags> {
  const pick = (sources: string[]): string | undefined => {
    for (const source of sources) {
      if (source.startsWith('=')) return source.slice(1);
      const value = (info as Record<string, unknown>)[source];
      if (typeof value === 'string' && value.trim() !== '') return value.trim();
      if (typeof value === 'number') return String(value);
    }
    return undefined;
  };
  const artist = pick(mapping.artist);
  const title = pick(mapping.title) ?? info.id ?? 'Untitled';
  const album = pick(mapping.album) ?? 'YTDL';
  if (artist === undefined && isDirectFileLink(info)) {
    const named = parseFileName(title);
    if (named.artist !== undefined) return { artist: named.artist, album, title: named.title };
  }
  return { artist: artist ?? 'Unknown Artist', album, title };
}

/** Whether yt-dlp took the link as a plain file on a web server (its generic extractor), not a site's page. */
function isDirectFileLink(info: YtInfo): boolean {
  return (info.extractor_key ?? info.ie_key ?? 'generic').toLowerCase() === 'generic';
}
