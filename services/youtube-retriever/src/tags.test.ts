import { describe, expect, it } from 'vitest';
import { tagsFor } from '@imk/media';
import { YoutubeConfigSchema } from './config.ts';
import type { YtInfo } from './info.ts';
import { mapTags } from './tags.ts';

const mapping = YoutubeConfigSchema.parse({}).tags;

describe('mapTags', () => {
  it('names a link straight to an untagged "Artist - Title.mp3" as the inbox, upload and imk enqueue name that file', () => {
    for (const stem of [
      'ABBA - Dancing Queen',
      '03 - ABBA - Dancing Queen',
      'ABBA_-_Dancing_Queen',
      'Dancing Queen',
    ]) {
      // yt-dlp's generic extractor: the file's name (without its extension) is its title, no channel.
      const info = { id: stem, title: stem, extractor_key: 'Generic' } as YtInfo;
      const dropped = tagsFor(`/inbox/${stem}.mp3`, { tags: {} });
      expect(mapTags(info, mapping), stem).toEqual({
        artist: dropped.artist,
        title: dropped.title,
        album: 'YTDL',
      });
    }
  });

  it('keeps a site video named by its channel, whatever its title says', () => {
    const info = {
      id: 'v1',
      title: 'Someone - Something (live)',
      channel: 'A Channel',
      extractor_key: 'Youtube',
    } as YtInfo;
    expect(mapTags(info, mapping)).toEqual({
      artist: 'A Channel',
      title: 'Someone - Something (live)',
      album: 'YTDL',
    });
  });
});
