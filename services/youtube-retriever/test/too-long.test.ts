// A video longer than the worker takes: said before it is downloaded, not after hours of download.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fetchYoutube } from '../src/index.ts';
import { logger, youtubeTestKit } from './youtube-kit.ts';

const media = youtubeTestKit();

/** A one-track XSPF playlist: the one local form whose duration yt-dlp's generic extractor reports. */
const xspf = (title: string, location: string, durationMs: number) =>
  `<?xml version="1.0" encoding="UTF-8"?>
<playlist version="1" xmlns="http://xspf.org/ns/0/"><trackList>
<track><title>${title}</title><location>${location}</location><duration>${String(durationMs)}</duration></track>
</trackList></playlist>`;

describe('a video longer than maxDurationSec', () => {
  it('is refused before the download, saying how long it is, the limit and where to set it; with the limit raised it is downloaded', async () => {
    const { root, settings } = await media.setup();
    media.server.setPage('/three-hours.xspf', xspf('A Three Hour Set', 'audio.m4a', 3 * 3600 * 1000));
    const error = await fetchYoutube(media.server.url('three-hours.xspf'), { root, logger, settings }).then(
      () => new Error('fetched'),
      (caught: unknown) => caught,
    );
    // Before: downloaded whole (the worker then refused it, INPUT_TOO_LONG, after the download).
    expect(error).toMatchObject({
      code: 'YT_TOO_LONG',
      message: expect.stringMatching(
        /^http:\/\/127\.0\.0\.1:\d+\/\S+ lasts 3 h 0 min, longer than the limit of 2 h 0 min \(maxDurationSec in config\/youtube-retriever\.yaml and config\/instrumental-maker\.yaml\); not downloaded$/,
      ) as unknown,
    });
    expect(media.server.hits.get('/audio.m4a') ?? 0).toBe(0);
    expect(await readdir(join(root, 'queues', 'youtube_audio')).catch(() => [])).toEqual([]);

    // The limit is the user's: raised, the same link is fetched (then failing the duration check, as the
    // served file is short; what matters here is that it was downloaded).
    const raised = { ...settings, maxDurationSec: 4 * 3600 };
    const again = await fetchYoutube(media.server.url('three-hours.xspf'), {
      root,
      logger,
      settings: raised,
    }).catch((caught: unknown) => caught);
    expect(again).toMatchObject({ code: 'DURATION_MISMATCH' });
    expect(media.server.hits.get('/audio.m4a') ?? 0).toBeGreaterThan(0);
  });
});
