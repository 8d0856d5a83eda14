import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { parseHttpUrl, retrieverRoutes } from '@imk/retriever-sdk';
import { startRetrieverHttp, youtubeRetriever } from '../src/index.ts';
import { linkJobId } from './expected-ids.ts';
import { generateMedia, startMediaServer, type MediaServer } from './media-server.ts';

const logger = createLogger('test', { level: 'silent' });
let mediaDir: string;
let root: string;
let server: MediaServer;
const app = Fastify();

beforeAll(async () => {
  mediaDir = await mkdtemp(join(tmpdir(), 'imk-http-media-'));
  root = await mkdtemp(join(tmpdir(), 'imk-http-root-'));
  await generateMedia(mediaDir);
  server = await startMediaServer(mediaDir);
  await app.register(retrieverRoutes, { root, logger, retrievers: [youtubeRetriever] });
});
afterAll(async () => {
  await app.close();
  await server.close();
  await Promise.all([mediaDir, root].map((dir) => rm(dir, { recursive: true, force: true })));
});

const post = (payload: unknown) =>
  app.inject({ method: 'POST', url: '/api/requests', payload: payload as object });

describe('POST /api/requests', () => {
  it('fetches a URL and answers with the job ids', async () => {
    const response = await post({ url: server.url('audio.m4a'), mode: 'audio' });
    expect(response.statusCode).toBe(200);
    const jobId = linkJobId('generic', 'audio', server.url('audio.m4a'), 'audio');
    expect(response.json()).toMatchObject({
      retriever: 'youtube',
      job_ids: [jobId],
      jobs: [{ job_id: jobId, queue: 'youtube_audio' }],
    });
  });

  it('refuses several links pasted into one request, naming them, rather than fetching them run together', async () => {
    const a = server.url('audio.m4a');
    for (const url of [`${a} ${a}?x=1`, `${a}\n${a}?x=1`, `${a}\t\r\n ${a}?x=1 `]) {
      const reply = await post({ url });
      expect(reply.statusCode, JSON.stringify(url)).toBe(400);
      expect(reply.json()).toMatchObject({
        error: 'INVALID_URL',
        message: expect.stringContaining('holds 2 links'),
      });
    }
    // One link with a space in its file name (as a file manager copies it) is still one link.
    expect(() => parseHttpUrl('http://nas.local/My Song.mp3').href).not.toThrow();
    expect(parseHttpUrl('http://nas.local/My Song.mp3').pathname).toBe('/My%20Song.mp3');
  });

  it('answers bad requests with 400 and a message saying what is expected', async () => {
    const notHttp = await post({ url: 'file:///etc/passwd' });
    expect(notHttp.statusCode).toBe(400);
    expect(notHttp.json()).toMatchObject({
      error: 'INVALID_URL',
      message: expect.stringMatching(/only http\(s\)/),
    });
    const noUrl = await post({});
    expect(noUrl.statusCode).toBe(400);
    expect(noUrl.json()).toMatchObject({ error: 'INVALID_REQUEST', message: expect.stringMatching(/url/) });
    const badMode = await post({ url: server.url('audio.m4a'), mode: 'loud' });
    expect(badMode.statusCode).toBe(400);
    expect(badMode.json().message).toMatch(/mode/);
  });

  // 503 for a missing secret (Deezer's ARL) is tested where the retrievers are composed: packages/cli.
  it('answers 422 when the link cannot be fetched', async () => {
    const missing = await post({ url: server.url('nothing-here.m4a') });
    expect(missing.statusCode).toBe(422);
    expect(missing.json()).toMatchObject({
      error: 'NOT_FOUND',
      message: expect.stringContaining('HTTP 404'),
    });
  });

  it('with wait: false, leaves a request file for the running retriever and answers 202', async () => {
    const response = await post({ url: server.url('two.m4a'), mode: 'both', wait: false });
    expect(response.statusCode).toBe(202);
    const body = response.json<{ request_file: string }>();
    expect(body.request_file.startsWith(join(root, 'requests', 'youtube'))).toBe(true);
    expect(await readFile(body.request_file, 'utf8')).toBe(`${server.url('two.m4a')}\nmode: both\n`);
  });
});

describe('startRetrieverHttp', () => {
  it('refuses to listen beyond loopback without a token', async () => {
    const controller = new AbortController();
    await expect(
      startRetrieverHttp({ root, logger, signal: controller.signal, host: '0.0.0.0', port: 0 }),
    ).rejects.toMatchObject({ code: 'API_TOKEN_REQUIRED' });
  });

  it('asks for the bearer token when one is set', async () => {
    const controller = new AbortController();
    const token = 'x'.repeat(32);
    const { url } = await startRetrieverHttp({ root, logger, signal: controller.signal, port: 0, token });
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const anonymous = await fetch(`${url}/api/requests`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      expect(anonymous.status).toBe(401);
      const authorised = await fetch(`${url}/api/requests`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      });
      expect(authorised.status).toBe(400);
    } finally {
      controller.abort();
    }
  });
});
