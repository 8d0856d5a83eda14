import { describe, expect, it } from 'vitest';
import { capturingLogger } from '@imk/log/testing';
import type { YtEntry } from './info.ts';
import { expandListEntries } from './lists-of-lists.ts';

// What yt-dlp lists for a channel's Playlists tab on YouTube: each entry a playlist with extractor YoutubeTab
// (the loopback stand-in of youtube-links.test.ts cannot give that key). A Mix among them was dropped without
// a word; it is said now, naming it, and the other playlists' videos are fetched.
const entry = (url: string, ieKey?: string): YtEntry => ({
  id: undefined,
  extractor: ieKey === undefined ? 'youtube' : 'youtubetab',
  key: url,
  url,
  info: { ...(ieKey !== undefined && { ie_key: ieKey }) },
});

describe("a channel tab's playlists with a YouTube Mix among them", () => {
  it('fetches the videos of the others and says the Mix was not, naming it', async () => {
    const { logger, lines } = capturingLogger<{ msg?: string }>();
    const mix = 'https://www.youtube.com/playlist?list=RDdQw4w9WgXcQ';
    const listed = await expandListEntries(
      [entry('https://www.youtube.com/playlist?list=PLone', 'YoutubeTab'), entry(mix, 'YoutubeTab')],
      {
        list: (link) =>
          Promise.resolve(
            link.endsWith('PLone') ? [entry('https://www.youtube.com/watch?v=aaaaaaaaaaa')] : [],
          ),
        maxEntries: 10,
        logger,
        shown: 'https://www.youtube.com/@SomeBand/playlists',
      },
    );
    expect(listed.entries.map((e) => e.url)).toEqual(['https://www.youtube.com/watch?v=aaaaaaaaaaa']);
    expect(listed.warnings).toEqual([
      expect.stringContaining(
        `a YouTube Mix among its playlists was not fetched (${mix} (list=RDdQw4w9WgXcQ))`,
      ),
    ]);
    expect(lines().some((line) => line.msg === listed.warnings[0])).toBe(true);
  });
});
