import type { Tags } from '@imk/retriever-sdk';
import type { YoutubeConfig } from './config.ts';
import type { YtInfo } from './info.ts';

/**
 * Picks artist / album / title from yt-dlp's metadata: for each tag the first listed field with a value
 * (`=text` is literal text). Defaults: artist = channel, album = "YTDL", title = video title.
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
  return {
    artist: pick(mapping.artist) ?? 'Unknown Artist',
    album: pick(mapping.album) ?? 'YTDL',
    title: pick(mapping.title) ?? info.id ?? 'Untitled',
  };
}
