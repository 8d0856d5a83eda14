import { describe, expect, it } from 'vitest';
import { listEntries, parseInfo } from './info.ts';
import { refuseUnfinishedLive } from './live.ts';

// yt-dlp's JSON for YouTube's live streams cannot be produced on a loopback server (its generic extractor
// never says a stream is live): these are the fields it prints for them (-J --flat-playlist), trimmed.
const URL = 'https://www.youtube.com/watch?v=jfKfPfyJRdk';
const info = (fields: Record<string, unknown>) =>
  listEntries(
    parseInfo(
      JSON.stringify({
        id: 'jfKfPfyJRdk',
        extractor_key: 'Youtube',
        webpage_url: URL,
        title: 'lofi radio',
        ...fields,
      }),
      URL,
    ),
    URL,
  )[0]!;

describe('a live stream in the listing', () => {
  it.each([
    [
      { live_status: 'is_live', is_live: true, duration: null },
      /is a live stream that is still running; it is not downloaded: request it again once it has ended/,
    ],
    [{ is_live: true }, /is a live stream that is still running/],
    [
      { live_status: 'is_upcoming', release_timestamp: 1_900_000_000 },
      /is a premiere or live stream that has not begun/,
    ],
  ])('%j is refused before any download, saying so', (fields, said) => {
    expect(() => refuseUnfinishedLive(info(fields))).toThrow(
      expect.objectContaining({ code: 'YT_NOT_LIVE_YET', message: expect.stringMatching(said) as unknown }),
    );
  });

  it.each([
    { live_status: 'was_live', duration: 3600 },
    { live_status: 'not_live', duration: 200 },
    { duration: 200 },
  ])('%j (ended, or never live) is fetched', (fields) => {
    expect(() => refuseUnfinishedLive(info(fields))).not.toThrow();
  });
});
