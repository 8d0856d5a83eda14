import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { retrieverRoutes } from '@imk/retriever-sdk';
import { URL_RETRIEVERS } from '../src/compose/url-retrievers.ts';

// POST /api/requests over the retrievers the CLI composes (Deezer first, then yt-dlp for any other link).
const logger = createLogger('test', { level: 'silent' });
let root: string;
const app = Fastify();

beforeAll(async () => {
  delete process.env.IMK_DEEMIX_ARL;
  delete process.env.DEEZER_ARL;
  root = await mkdtemp(join(tmpdir(), 'imk-url-retrievers-'));
  await app.register(retrieverRoutes, { root, logger, retrievers: URL_RETRIEVERS });
});
afterAll(async () => {
  await app.close();
  await rm(root, { recursive: true, force: true });
});

const post = (payload: object) => app.inject({ method: 'POST', url: '/api/requests', payload });

describe('the composed URL retrievers', () => {
  it('send a Deezer link to deemix: 503 naming the missing ARL', async () => {
    const deezer = await post({ url: 'https://www.deezer.com/track/3135556' });
    expect(deezer.statusCode).toBe(503);
    expect(deezer.json()).toMatchObject({ error: 'DEEMIX_ARL_MISSING' });
  });

  it('leave request files in each retriever’s own folder and format (no mode line for Deezer)', async () => {
    const deezer = (
      await post({ url: 'https://www.deezer.com/track/3135556', mode: 'both', wait: false })
    ).json<{
      retriever: string;
      request_file: string;
    }>();
    expect(deezer.retriever).toBe('deezer');
    expect(deezer.request_file.startsWith(join(root, 'requests', 'deezer'))).toBe(true);
    expect(deezer.request_file.endsWith('.deezer')).toBe(true);
    expect(await readFile(deezer.request_file, 'utf8')).toBe('https://www.deezer.com/track/3135556\n');
    const youtube = (
      await post({ url: 'https://www.youtube.com/watch?v=abc', mode: 'video', wait: false })
    ).json<{
      request_file: string;
    }>();
    expect(youtube.request_file.startsWith(join(root, 'requests', 'youtube'))).toBe(true);
    expect(await readFile(youtube.request_file, 'utf8')).toBe(
      'https://www.youtube.com/watch?v=abc\nmode: video\n',
    );
  });
});
