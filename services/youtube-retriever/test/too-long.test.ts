// A video longer than the worker takes: said before it is downloaded, not after hours of download.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
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

/**
 * A web radio on loopback: an MP3 stream with no length, sent for as long as the client listens (2 s of
 * sound every 20 ms, so that minutes of it come in seconds). `open` counts the listeners still connected.
 */
async function startRadio(): Promise<{ url: string; open: () => number; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'imk-yt-radio-'));
  const file = join(dir, 'chunk.mp3');
  await execa(
    'ffmpeg',
    [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:duration=2',
      '-c:a',
      'libmp3lame',
      '-b:a',
      '128k',
      '-id3v2_version',
      '0',
      '-write_xing',
      '0',
      file,
    ],
    { stdin: 'ignore' },
  );
  const chunk = await readFile(file);
  let listeners = 0;
  const server: Server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'audio/mpeg', 'icy-name': 'Endless Radio' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    listeners += 1;
    const timer = setInterval(() => res.write(chunk), 20);
    res.on('close', () => {
      clearInterval(timer);
      listeners -= 1;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/stream.mp3`,
    open: () => listeners,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('a stream that says no length (a web radio, a live stream)', () => {
  const radios: { close: () => Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(radios.map((radio) => radio.close()));
  });

  it('is stopped once what came lasts longer than maxDurationSec, saying so; nothing queued, nothing left downloading', async () => {
    const radio = await startRadio();
    radios.push(radio);
    const { root, settings } = await media.setup({ maxDurationSec: 60 });
    // Before: downloaded for ever (this test's own bound, a minute, stopped it).
    const bound = AbortSignal.timeout(60_000);
    const error = await fetchYoutube(radio.url, { root, logger, settings, signal: bound }).then(
      () => new Error('fetched'),
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({
      code: 'YT_TOO_LONG',
      message: expect.stringMatching(
        /stream\.mp3 says no length of its own and was still coming after \d+ min \d+ s, longer than the limit of 1 min 0 s \(maxDurationSec in config\/youtube-retriever\.yaml and config\/instrumental-maker\.yaml\): an endless stream such as a web radio or a live stream\? The download was stopped; nothing is queued$/,
      ) as unknown,
    });
    expect(bound.aborted).toBe(false);
    // yt-dlp was stopped: the radio sees its listener go (a socket's close reaches the server a moment later).
    const gone = Date.now() + 10_000;
    while (radio.open() > 0 && Date.now() < gone) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(radio.open()).toBe(0);
    expect(await readdir(join(root, 'queues', 'youtube_audio')).catch(() => [])).toEqual([]);
  });
});
