// A request body Fastify refuses before any route (over the body limit, JSON that does not parse) was
// answered with Fastify's own code (FST_ERR_CTP_BODY_TOO_LARGE), which no catalogue names, and "Request
// body is too large" without the limit or the setting that raises it. Real requests to a real server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyOfCode } from '@imk/errors';
import { rawRequest } from '@imk/http-guard/testing';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { quietLogger, tempRoot } from './helpers.ts';

let web: RunningWeb;
const stop = new AbortController();
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const made = await tempRoot('imk-web-limits-');
  cleanup = made.cleanup;
  web = await listenWeb({
    root: made.root,
    logger: quietLogger(),
    signal: stop.signal,
    cleanupSchedule: false,
    overrides: { port: 0, bodyLimitKb: 4 },
  });
}, 60_000);

afterAll(async () => {
  stop.abort();
  await web.closed;
  await cleanup();
});

const post = (body: string) =>
  rawRequest(`${web.url}/api/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });

describe('a request body the server refuses before any route', () => {
  it('too large: a catalogued code with its status, the limit, and the setting that raises it', async () => {
    const urls = Array.from(
      { length: 200 },
      (_, i) => `https://www.youtube.com/watch?v=${String(i).padStart(11, 'x')}`,
    );
    const response = await post(JSON.stringify({ urls }));
    expect(response.status).toBe(413);
    const answer = JSON.parse(response.body) as { error: string; message: string };
    expect(answer.error).toBe('REQUEST_TOO_LARGE');
    expect(policyOfCode(answer.error)).toEqual({ retryable: false, httpStatus: 413 });
    expect(answer.message).toMatch(
      /^the request body \(\d+ KiB\) is larger than the 4 KiB this server takes \(POST \/api\/requests\): send a smaller request, or raise bodyLimitKb in config\/web\.yaml$/,
    );
    // Under the limit the same route answers as usual (its own refusal of an empty list, not the guard's).
    const small = await post(JSON.stringify({ urls: [] }));
    expect(small.status).not.toBe(413);
  });

  it('JSON with a "__proto__" key: refused, and the message says so (it is valid JSON)', async () => {
    for (const body of [
      '{"__proto__": {"admin": true}, "urls": []}',
      '{"constructor": {"prototype": {"x": 1}}}',
    ]) {
      const response = await post(body);
      expect(response.status, body).toBe(400);
      const answer = JSON.parse(response.body) as { error: string; message: string };
      expect(answer.error, body).toBe('REQUEST_BODY_INVALID');
      expect(answer.message, body).toContain('"__proto__"');
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
    }
  });

  it('not JSON though it says so: a catalogued code and what to send', async () => {
    for (const body of ['{"urls": [', '']) {
      const response = await post(body);
      expect(response.status, body).toBe(400);
      const answer = JSON.parse(response.body) as { error: string; message: string };
      expect(answer.error, body).toBe('REQUEST_BODY_INVALID');
      expect(policyOfCode(answer.error)).toEqual({ retryable: false, httpStatus: 400 });
      expect(answer.message).toContain('POST /api/requests');
      expect(answer.message).toContain('send a JSON document');
    }
  });
});

// A request no route takes was answered with Fastify's own `{"error": "Not Found", "statusCode": 404}` (no
// code, against "errors are JSON { error: STABLE_CODE, message }"), a PUT on a GET route the same 404, and
// a path that is not a URL with Fastify's FST_ERR_BAD_URL and none of the security headers.
describe('a request no route takes', () => {
  const send = (method: string, path: string) => rawRequest(`${web.url}${path}`, { method });
  const answer = (body: string) => JSON.parse(body) as { error: string; message: string };

  it('a path routed for other methods only: 405 METHOD_NOT_ALLOWED with the methods in Allow', async () => {
    for (const [method, path, allowed] of [
      ['PUT', '/api/outputs', 'GET, HEAD'],
      ['DELETE', '/api/jobs/some_job', 'GET, HEAD'],
      ['GET', '/api/jobs/some_job/retry', 'POST'],
      ['PATCH', '/outputs/some_job/files/a.m4a', 'GET, HEAD'],
    ] as const) {
      const response = await send(method, path);
      expect(response.status, `${method} ${path}`).toBe(405);
      expect(response.headers.allow, path).toBe(allowed);
      expect(answer(response.body)).toEqual({
        error: 'METHOD_NOT_ALLOWED',
        message: `${method} is not taken at ${path}; it takes ${allowed}`,
      });
      expect(policyOfCode('METHOD_NOT_ALLOWED')).toEqual({ retryable: false, httpStatus: 405 });
    }
  });

  it('a path no route has: 404 ROUTE_NOT_FOUND naming it', async () => {
    const response = await send('GET', '/api/nothing-here?x=1');
    expect(response.status).toBe(404);
    expect(answer(response.body)).toEqual({
      error: 'ROUTE_NOT_FOUND',
      message: 'nothing is at GET /api/nothing-here on this server',
    });
  });

  it('headers larger than the server takes: 431 HEADERS_TOO_LARGE, with the security headers', async () => {
    // Refused by Node's parser before Fastify has a request: its answer had no code and no security headers.
    const response = await rawRequest(`${web.url}/api/status`, {
      headers: { cookie: `a=${'x'.repeat(70_000)}` },
    });
    expect(response.status).toBe(431);
    expect(answer(response.body)).toEqual({
      error: 'HEADERS_TOO_LARGE',
      message:
        "the request headers (its URL, cookies and the rest) are larger than this server takes: send a shorter request, or clear this site's cookies",
    });
    expect(policyOfCode('HEADERS_TOO_LARGE')).toEqual({ retryable: false, httpStatus: 431 });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it("a static path with a NUL byte: 404 ROUTE_NOT_FOUND, not @fastify/static's own code", async () => {
    for (const path of ['/static/%00', '/static/app.js%00.png']) {
      const response = await send('GET', path);
      expect(response.status, path).toBe(404);
      expect(answer(response.body), path).toEqual({
        error: 'ROUTE_NOT_FOUND',
        message: `nothing is at GET ${path} on this server`,
      });
    }
  });

  it('a path that is not a URL or has a part too long: a catalogued code, with the security headers', async () => {
    const bad = await send('GET', '/outputs/some_job/b%FF.m4a');
    expect(bad.status).toBe(400);
    expect(answer(bad.body).error).toBe('BAD_URL');
    expect(answer(bad.body).message).toMatch(/^the path \/outputs\/some_job\/b%FF\.m4a is not a valid URL/);
    expect(bad.headers['x-content-type-options']).toBe('nosniff');
    const long = await send('GET', `/api/outputs/${'a'.repeat(300)}`);
    expect(long.status).toBe(414);
    expect(answer(long.body).error).toBe('URL_TOO_LONG');
    expect(long.headers['content-security-policy']).toBeDefined();
  });
});
