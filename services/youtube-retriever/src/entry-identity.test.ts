import { describe, expect, it } from 'vitest';
import { listEntries, type YtInfo } from './info.ts';
import { entryJobId } from './entry-identity.ts';

// The rule pinned with literal values (docs/retrievers.md "Job ids"): what yt-dlp prints for these links.
const identify = (info: YtInfo, url: string) =>
  listEntries(info, url).map((entry) => ({
    archive: `${entry.extractor} ${entry.key}`,
    job: entryJobId(entry, 'audio'),
  }));

describe('entry identity', () => {
  it('keeps YouTube ids exactly as the earlier project wrote them', () => {
    expect(
      identify(
        {
          id: 'dQw4w9WgXcQ',
          extractor_key: 'Youtube',
          webpage_url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
        },
        'https://youtu.be/dQw4w9WgXcQ',
      ),
    ).toEqual([{ archive: 'youtube dQw4w9WgXcQ', job: 'yt_dQw4w9WgXcQ_audio' }]);
  });

  it("gives another site's id its site name, and keeps yt-dlp's archive line", () => {
    expect(identify({ id: '12345', extractor_key: 'Vimeo' }, 'https://vimeo.com/12345')).toEqual([
      { archive: 'vimeo 12345', job: 'yt_vimeo.12345_audio' },
    ]);
  });

  it('hashes the link into the key of a file-named entry, so the same name on two hosts is two songs', () => {
    const a = { id: 'song', extractor_key: 'Generic', url: 'http://a.example/song.mp3' };
    const b = { id: 'song', extractor_key: 'Generic', url: 'http://b.example/song.mp3' };
    expect(identify(a, a.url)).toEqual([
      { archive: 'generic song-6dbce78a61', job: 'yt_generic.song-6dbce78a61_audio' },
    ]);
    expect(identify(b, b.url)).toEqual([
      { archive: 'generic song-e6a7c669a4', job: 'yt_generic.song-e6a7c669a4_audio' },
    ]);
    // The link asked for, not the address it redirects to (signed, new on every visit).
    const redirected = {
      ...a,
      url: 'https://cdn.example/x/song.mp3?sig=123',
      webpage_url: 'https://cdn.example/x',
    };
    expect(identify(redirected, a.url)).toEqual(identify(a, a.url));
    // One link spelt two ways (host case, default port, fragment) is one song.
    const spelt = { ...a, url: 'http://A.EXAMPLE:80/song.mp3#t=10' };
    expect(identify(spelt, spelt.url)).toEqual(identify(a, a.url));
  });

  it('names an entry with no id after its file, and one with no link after its page and position', () => {
    const feed: YtInfo = {
      _type: 'playlist',
      id: 'http://a.example/feed.xml',
      extractor_key: 'Generic',
      entries: [
        { _type: 'url_transparent', url: 'http://a.example/ep/one.mp3' },
        { _type: 'url_transparent', url: 'http://a.example/ep/one.mp3?v=2' },
        { title: 'inline, no id, no link' },
      ],
    };
    expect(identify(feed, 'http://a.example/feed.xml').map((entry) => entry.job)).toEqual([
      'yt_generic.one-cf72c8893e_audio',
      'yt_generic.one-0e7df2211b_audio',
      'yt_generic.feed-69ab6f6e5b_audio',
    ]);
    // A YouTube entry with no id is not taken for a YouTube video id either.
    const noId = { extractor_key: 'Youtube', url: 'https://www.youtube.com/watch?v=abc' };
    expect(identify(noId, noId.url)).toEqual([
      { archive: 'youtube watch-b2039402c4', job: 'yt_youtube.watch-b2039402c4_audio' },
    ]);
  });
});
