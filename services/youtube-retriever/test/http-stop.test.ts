// POST /api/requests waits for its fetch, and the server's stop (Ctrl-C on `imk up`, SIGTERM) stops the fetch
// under way: its download is stopped, nothing of it is published, and the caller is told so (503 ABORTED,
// "send the request again once the service is back") on the connection it waits on, before the server closes.
// A real server on loopback, the real yt-dlp downloading from a loopback server that holds the second half of
// the song, and a real stop (the signal the server was started with).
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { within } from '@imk/fs-safe/testing';
import { createLogger } from '@imk/log';
import { generate } from '@imk/media/testing';
import { until } from '../../../packages/cli/test/ctrl-c-kit.ts';
import { startRetrieverHttp } from '../src/index.ts';

const logger = createLogger('test', { level: 'silent' });
let dir = '';
let song: Buffer;
let media: Server;
/** Responses that sent half the song and wait (for ever: the stop comes first). */
const held = new Set<ServerResponse>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-http-stop-'));
  const file = join(dir, 'song.m4a');
  await generate(file, '-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', '-c:a', 'aac', '-b:a', '64k');
  song = await readFile(file);
  media = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'audio/mp4', 'content-length': String(song.length) });
    if (request.method === 'HEAD') return void response.end();
    response.write(song.subarray(0, song.length >> 1));
    held.add(response);
    response.on('close', () => held.delete(response));
  });
  await new Promise<void>((resolve) => media.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const response of held) response.destroy();
  media.closeAllConnections();
  await new Promise((resolve) => media.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('POST /api/requests when the server stops during the fetch', () => {
  it('answers 503 ABORTED saying to send it again, publishes nothing and keeps no half-done download', async () => {
    const root = join(dir, 'root');
    const stop = new AbortController();
    const http = await startRetrieverHttp({ root, logger, signal: stop.signal, port: 0 });
    const link = `http://127.0.0.1:${(media.address() as AddressInfo).port}/song.m4a`;
    const answered = fetch(`${http.url}/api/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: link, mode: 'audio' }),
    });
    const work = join(root, 'state', 'youtube-retriever', 'work');
    const inWork = () => {
      try {
        return readdirSync(work, { recursive: true }).map(String);
      } catch {
        return [];
      }
    };
    await within(
      until(() => inWork().some((path) => path.endsWith('.part')), 20),
      60_000,
      'yt-dlp to start the download',
    );
    stop.abort(new Error('stopped by SIGINT'));
    const response = await within(answered, 30_000, 'the answer to the request');
    const body = (await response.json()) as { error?: string; message?: string };
    expect(response.status, JSON.stringify(body)).toBe(503);
    expect(body).toEqual({
      error: 'ABORTED',
      message: `the service stopped while ${link} was fetched: its download was stopped and nothing half-done was kept; send the request again once the service is back (whatever of it was queued already is skipped)`,
    });
    expect(await readdir(join(root, 'queues', 'youtube_audio')).catch((): string[] => [])).toEqual([]);
    expect(inWork()).toEqual([]);
    // …and the server then closes.
    await within(
      until(() => !http.app.server.listening, 20),
      10_000,
      'the server to close',
    );
  }, 90_000);
});
