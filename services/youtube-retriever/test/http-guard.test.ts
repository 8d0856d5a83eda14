// The standalone retriever API has the dashboard's protections (shared through @imk/http-guard): raw
// requests with hand-set Host, Origin and Content-Type, and a password guesser.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '@imk/http-guard/testing';
import { createLogger } from '@imk/log';
import { startRetrieverHttp } from '../src/index.ts';

const TOKEN = 'retriever-api-token-0123456789';
const logger = createLogger('test', { level: 'silent' });
const controller = new AbortController();
let root: string;
let url: string;
let port: number;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-api-guard-'));
  ({ url } = await startRetrieverHttp({ root, logger, signal: controller.signal, port: 0, token: TOKEN }));
  port = Number(new URL(url).port);
});
afterAll(async () => {
  controller.abort();
  await rm(root, { recursive: true, force: true });
});

const auth = { authorization: `Bearer ${TOKEN}` };
const post = (headers: Record<string, string>, body = '{}') =>
  rawRequest(`${url}/api/requests`, { method: 'POST', headers: { ...auth, ...headers }, body });

describe('the retriever API', () => {
  it('answers only to its own Host names', async () => {
    expect((await post({ 'content-type': 'application/json' })).status).toBe(400);
    for (const host of [`evil.example:${port}`, `localhost.evil.example:${port}`, `127.0.0.1:${port + 1}`]) {
      const response = await post({ host, 'content-type': 'application/json' });
      expect(response.status, host).toBe(403);
      expect(response.body).toContain('HOST_NOT_ALLOWED');
    }
  });

  it('refuses cross-origin and non-JSON requests, even with the token', async () => {
    for (const headers of [
      { origin: 'http://evil.example', 'content-type': 'application/json' },
      { 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
    ] as Record<string, string>[])
      expect((await post(headers)).status).toBe(403);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])
      expect((await post({ 'content-type': type }, 'url=http://x')).status, type).toBe(415);
  });

  it('sends the security headers', async () => {
    const response = await post({ 'content-type': 'application/json' });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('refuses a body over its limit with a catalogued code that names the limit', async () => {
    // Fastify's FST_ERR_CTP_BODY_TOO_LARGE ("Request body is too large"), no catalogue's code, before.
    const response = await post(
      { 'content-type': 'application/json' },
      JSON.stringify({ url: 'x'.repeat(70_000) }),
    );
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toEqual({
      error: 'REQUEST_TOO_LARGE',
      message:
        'the request body (68 KiB) is larger than the 64 KiB this server takes (POST /api/requests): send a smaller request',
    });
  });

  it('throttles wrong tokens: 429 with Retry-After, even for the right one', async () => {
    for (let i = 0; i < 5; i++)
      expect(
        (await post({ authorization: `Bearer wrong-${i}`, 'content-type': 'application/json' })).status,
      ).toBe(401);
    const blocked = await post({ 'content-type': 'application/json' });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
  });
});
