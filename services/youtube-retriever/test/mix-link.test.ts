// Links to a video played inside a YouTube Mix, in the shapes people paste them. YouTube cannot be reached
// here, so the real yt-dlp is sent through a proxy that refuses: what it set out to fetch (the video, or
// the whole Mix) is in the error it gives, which the retriever's message quotes.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { errorMessage } from '@imk/errors';
import { createLogger } from '@imk/log';
import { fetchYoutube, loadYoutubeSettings } from '../src/index.ts';

const logger = createLogger('test', { level: 'silent' });
const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A loopback port nothing listens on (a proxy there refuses every connection at once). */
async function refusingPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** What the real yt-dlp set out to fetch for `url`, as the retriever's error says it. */
async function attempted(url: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'imk-yt-mix-'));
  roots.push(root);
  const settings = await loadYoutubeSettings(root, {
    retries: { attempts: 1, backoffMs: 0, maxBackoffMs: 0, ytDlpRetries: 0 },
    extraArgs: ['--proxy', `http://127.0.0.1:${String(await refusingPort())}`, '--extractor-retries', '0'],
    socketTimeoutSec: 5,
  });
  const error = await fetchYoutube(url, { root, settings, logger }).then(
    () => new Error(`${url} was fetched with no network`),
    (caught: unknown) => caught,
  );
  return errorMessage(error);
}

const VIDEO = 'dQw4w9WgXcQ';

describe('a link to a video inside a YouTube Mix', () => {
  it.each([
    `https://www.youtube.com/watch?v=${VIDEO}&list=RD${VIDEO}&start_radio=1`,
    `https://youtu.be/${VIDEO}?list=RD${VIDEO}&si=AbCdEfGh`,
    `https://m.youtube.com/watch?v=${VIDEO}&list=RDMM${VIDEO}&index=2`,
    `https://music.youtube.com/watch?v=${VIDEO}&list=RDAMVM${VIDEO}`,
    `https://www.youtube.com/watch?v=${VIDEO}&t=42s&list=RDEMabcdefghijklmnop&index=3`,
  ])('%s fetches the video, not the Mix', async (url) => {
    const said = await attempted(url);
    // Before: "[youtube:tab] RD…": yt-dlp listed the Mix, and the retriever queued every song in it.
    expect(said).toContain(`[youtube] ${VIDEO}:`);
    expect(said).not.toContain('[youtube:tab]');
  });

  it("a link to someone's playlist, with or without a video in it, is still the playlist", async () => {
    for (const url of [
      'https://www.youtube.com/playlist?list=PLabcdefghijklmnopqrstuvwxyz012345',
      `https://www.youtube.com/watch?v=${VIDEO}&list=PLabcdefghijklmnopqrstuvwxyz012345`,
    ])
      expect(await attempted(url)).toContain('[youtube:tab] PLabcdefghijklmnopqrstuvwxyz012345:');
  });
});
