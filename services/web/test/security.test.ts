// The HTTP surface as a hostile web page, a DNS-rebinding attack or a password guesser meets it: raw
// requests with hand-set Host, Origin, Sec-Fetch-Site and Content-Type headers against a real server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '@imk/http-guard/testing';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { quietLogger, tempRoot } from './helpers.ts';

const TOKEN = 'security-token-0123456789abcdef';
const servers: { web: RunningWeb; stop: AbortController; cleanup: () => Promise<void> }[] = [];

async function start(overrides: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const { root, cleanup } = await tempRoot('imk-web-sec-');
  const stop = new AbortController();
  const web = await listenWeb({
    root,
    logger: quietLogger(),
    signal: stop.signal,
    cleanupSchedule: false,
    overrides: { port: 0, ...overrides },
    ...extra,
  });
  servers.push({ web, stop, cleanup });
  return { url: web.url, port: Number(new URL(web.url).port) };
}

let open: { url: string; port: number };
let locked: { url: string; port: number };

beforeAll(async () => {
  open = await start({ allowedHosts: ['imk.example.com'] });
  locked = await start({ token: TOKEN });
}, 60_000);

afterAll(async () => {
  for (const s of servers.splice(0)) {
    s.stop.abort();
    await s.web.closed;
    await s.cleanup();
  }
});

const JSON_BODY = { 'content-type': 'application/json' };
// A body the route refuses as a bad request (400): reaching that answer means the guard let it through.
const post = (base: string, headers: Record<string, string>, body = '{}', path = '/api/requests') =>
  rawRequest(`${base}${path}`, { method: 'POST', headers, body });

describe('Host header (DNS rebinding)', () => {
  it('answers to its own address, localhost, 127.0.0.1, [::1] and configured names on its port', async () => {
    for (const host of [
      `127.0.0.1:${open.port}`,
      `localhost:${open.port}`,
      `LOCALHOST:${open.port}`,
      'imk.example.com',
    ])
      expect((await rawRequest(`${open.url}/api/status`, { headers: { host } })).status, host).toBe(200);
    // [::1] reaches the server only when it listens there; the name itself is allowed.
    const v6 = await rawRequest(`${open.url}/healthz`, { headers: { host: `[::1]:${open.port}` } });
    expect(v6.status).toBe(200);
  });

  it('refuses every other Host, on every method and path, before anything else', async () => {
    for (const host of [
      `evil.example:${open.port}`,
      `127.0.0.1.evil.example:${open.port}`,
      `localhost.evil.example:${open.port}`,
      `127.0.0.1:${open.port + 1}`,
      'localhost',
      `user@127.0.0.1:${open.port}`,
      `127.0.0.1:${open.port}/x`,
      '',
    ])
      for (const path of ['/', '/api/status', '/api/jobs', '/readyz', '/static/app.js', '/nope']) {
        const response = await rawRequest(`${open.url}${path}`, { headers: { host } });
        expect(response.status, `${host} ${path}`).toBe(403);
        expect(response.body).toContain('HOST_NOT_ALLOWED');
      }
    const write = await post(open.url, { host: `evil.example:${open.port}`, ...JSON_BODY });
    expect(write.status).toBe(403);
  });
});

describe('state-changing requests from another origin', () => {
  it('are refused by Origin and by Sec-Fetch-Site, on every route and method', async () => {
    const hostile: Record<string, string>[] = [
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { origin: `http://localhost:${open.port}` }, // another origin than the Host it was sent to
      { origin: `http://127.0.0.1:${open.port + 1}` },
      { origin: `https://127.0.0.1:${open.port}` },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: `http://127.0.0.1:${open.port}`, 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of hostile)
      for (const [method, path] of [
        ['POST', '/api/requests'],
        ['POST', '/api/subscriptions'],
        ['POST', '/api/jobs/job_x/retry'],
        ['POST', '/api/upload'],
        ['PUT', '/api/jobs/job_x'],
        ['PATCH', '/api/status'],
        ['DELETE', '/api/jobs/job_x'],
      ] as const) {
        const response = await rawRequest(`${open.url}${path}`, {
          method,
          headers: { ...JSON_BODY, ...headers },
          body: '{}',
        });
        expect(response.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(403);
        expect(response.body).toContain('CROSS_ORIGIN_REFUSED');
      }
  });

  it('are accepted from the page itself, a configured name, or a program that sends no Origin', async () => {
    for (const headers of [
      {},
      { origin: `http://127.0.0.1:${open.port}` },
      { origin: `http://127.0.0.1:${open.port}`, 'sec-fetch-site': 'same-origin' },
      { 'sec-fetch-site': 'none' },
      { host: 'imk.example.com', origin: 'https://imk.example.com' },
    ] as Record<string, string>[]) {
      const response = await post(open.url, { ...JSON_BODY, ...headers });
      expect(response.status, JSON.stringify(headers)).toBe(400);
      expect(response.body).toContain('INVALID_REQUEST');
    }
  });

  it('take JSON only: form, text/plain and untyped bodies (what browsers send cross-site unasked) are refused', async () => {
    const same = { origin: `http://127.0.0.1:${open.port}` };
    for (const type of [
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
    ]) {
      const response = await post(open.url, { ...same, 'content-type': type }, 'url=http://x');
      expect(response.status, type).toBe(415);
      expect(response.body).toContain('UNSUPPORTED_MEDIA_TYPE');
    }
    // A body without any Content-Type is refused; no body at all (retry) needs none.
    expect((await post(open.url, same, '{"url":"x"}')).status).toBe(415);
    const retry = await rawRequest(`${open.url}/api/jobs/job_x/retry`, { method: 'POST', headers: same });
    expect(retry.status).not.toBe(415);
    expect(retry.status).not.toBe(403);
    expect(
      (await post(open.url, { ...same, 'content-type': 'application/json; charset=utf-8' })).status,
    ).toBe(400);
    // Upload is the one multipart route; retry does not take multipart.
    const multipart = { ...same, 'content-type': 'multipart/form-data; boundary=b' };
    const body = '--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nx\r\n--b--\r\n';
    expect((await post(open.url, multipart, body, '/api/upload')).status).toBe(415); // refused by extension, not type
    expect((await post(open.url, multipart, body, '/api/upload')).body).toContain('UNSUPPORTED_FILE');
    expect((await post(open.url, multipart, body, '/api/jobs/job_x/retry')).body).toContain(
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });
});

describe('security headers', () => {
  it('are on every response: pages, API, static files, errors, refusals, the event stream, the login page', async () => {
    const responses = [
      await rawRequest(`${open.url}/`),
      await rawRequest(`${open.url}/api/status`),
      await rawRequest(`${open.url}/static/app.js`),
      await rawRequest(`${open.url}/no-such-page`),
      await rawRequest(`${open.url}/readyz`),
      await rawRequest(`${open.url}/api/status`, { headers: { host: 'evil.example' } }),
      await post(open.url, { 'content-type': 'text/plain' }),
      await rawRequest(`${locked.url}/login`),
      await rawRequest(`${locked.url}/api/status`),
    ];
    for (const response of responses) {
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
      expect(response.headers['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
      expect(response.headers['referrer-policy']).toBe('same-origin');
      expect(response.headers['cache-control']).toBe('no-store');
    }
  });

  it('the live event stream carries them too', async () => {
    const controller = new AbortController();
    const response = await fetch(`${open.url}/api/events`, { signal: controller.signal });
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    controller.abort();
  });
});

describe('login', () => {
  const login = (fields: Record<string, string>, base = locked.url) =>
    rawRequest(`${base}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });

  it('is throttled per client after a few wrong tokens: 429 with Retry-After, even for the right token', async () => {
    const own = await start({ token: TOKEN });
    for (let i = 0; i < 4; i++) expect((await login({ token: `wrong-${i}` }, own.url)).status).toBe(401);
    expect((await login({ token: 'wrong-5' }, own.url)).status).toBe(401);
    const blocked = await login({ token: TOKEN }, own.url);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.body).toMatch(/try again in \d+ s/);
    expect(blocked.headers['set-cookie']).toBeUndefined();
    // Guessing through the API's Bearer header is the same client, throttled alike.
    const api = await rawRequest(`${own.url}/api/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(api.status).toBe(429);
    expect(api.headers['retry-after']).toBeDefined();
    // Once the wait is over, the right token works and the count starts again.
    await new Promise((resolve) => setTimeout(resolve, Number(blocked.headers['retry-after']) * 1000 + 100));
    expect((await login({ token: TOKEN }, own.url)).status).toBe(303);
  });

  it('redirects only to paths on this server after logging in', async () => {
    for (const next of [
      '//evil.example',
      '/\\evil.example',
      '/\\/evil.example',
      '\\\\evil.example',
      'https://evil.example/',
      'http:evil.example',
      'javascript:alert(1)',
      '/%2F/evil.example',
      '/%5Cevil.example',
      '%2F%2Fevil.example',
      '/%252F%252Fevil.example',
      '/\t/evil.example',
      '/\n/evil.example',
      '/%09/evil.example',
      '/%0d%0aSet-Cookie:x=y',
      ' //evil.example',
      '',
    ]) {
      const response = await login({ token: TOKEN, next });
      expect(response.status, next).toBe(303);
      expect(response.headers.location, JSON.stringify(next)).toBe('/');
    }
    for (const next of ['/', '/#/job/yt_abc', '/api/status?x=1'])
      expect((await login({ token: TOKEN, next })).headers.location).toBe(next);
    // The login form carries a safe `next`, escaped.
    const page = await rawRequest(`${locked.url}/login?next=${encodeURIComponent('//evil.example"><x')}`);
    expect(page.body).toContain('name="next" value="/"');
    expect(page.body).not.toContain('<script');
  });

  it('is refused from another origin, like every change', async () => {
    const response = await rawRequest(`${locked.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' },
      body: `token=${TOKEN}`,
    });
    expect(response.status).toBe(403);
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('gives cookie sessions a CSRF token that uploads must send back; a Bearer token needs none', async () => {
    const ok = await login({ token: TOKEN, next: '/' });
    const cookies = ([] as string[]).concat(ok.headers['set-cookie'] ?? []);
    const session = cookies.find((c) => c.startsWith('imk_session='))!.split(';')[0]!;
    const csrfCookie = cookies.find((c) => c.startsWith('imk_csrf='))!;
    expect(csrfCookie).not.toMatch(/HttpOnly/); // the page's script reads it
    expect(csrfCookie).toMatch(/SameSite=Strict/);
    const csrf = csrfCookie.split(';')[0]!.slice('imk_csrf='.length);
    expect(csrf).not.toContain(TOKEN);
    const multipart = { 'content-type': 'multipart/form-data; boundary=b' };
    const body = '--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nx\r\n--b--\r\n';
    const upload = (headers: Record<string, string>) =>
      rawRequest(`${locked.url}/api/upload`, { method: 'POST', headers: { ...multipart, ...headers }, body });
    const without = await upload({ cookie: session });
    expect(without.status).toBe(403);
    expect(without.body).toContain('CSRF_TOKEN_REQUIRED');
    expect((await upload({ cookie: session, 'x-csrf-token': 'f'.repeat(64) })).status).toBe(403);
    expect((await upload({ cookie: session, 'x-csrf-token': csrf })).body).toContain('UNSUPPORTED_FILE');
    expect((await upload({ authorization: `Bearer ${TOKEN}` })).body).toContain('UNSUPPORTED_FILE');
    // JSON with the session needs no CSRF token: browsers cannot send JSON cross-site without asking first.
    const json = await rawRequest(`${locked.url}/api/requests`, {
      method: 'POST',
      headers: { cookie: session, ...JSON_BODY },
      body: '{}',
    });
    expect(json.status).toBe(400);
  });
});

describe('readyz', () => {
  it('answers booleans only without the token, details with it', async () => {
    const anonymous = await rawRequest(`${locked.url}/readyz`);
    expect(anonymous.status).toBe(200);
    const body = JSON.parse(anonymous.body) as Record<string, unknown>;
    const strings: string[] = [];
    const walk = (value: unknown, key: string): void => {
      if (typeof value === 'string' && key !== 'name') strings.push(`${key}=${value}`);
      else if (value && typeof value === 'object')
        for (const [k, v] of Object.entries(value)) walk(v, Array.isArray(value) ? key : k);
    };
    walk(body, '');
    expect(strings).toEqual([]);
    const authorized = await rawRequest(`${locked.url}/readyz`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(JSON.parse(authorized.body)).toHaveProperty('status', 'ok');
  });
});
