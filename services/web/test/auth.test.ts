import { mkdir, writeFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { errorMessage } from '@imk/errors';
import { createLogger, type Logger } from '@imk/log';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { quietLogger, tempRoot } from './helpers.ts';

const TOKEN = 'test-token-0123456789abcdef';
const running: { web: RunningWeb; stop: AbortController; cleanup: () => Promise<void> }[] = [];

afterEach(async () => {
  for (const r of running.splice(0)) {
    r.stop.abort();
    await r.web.closed;
    await r.cleanup();
  }
});

async function start(
  overrides: Record<string, unknown>,
  prepare?: (root: string) => Promise<void>,
  logger: Logger = quietLogger(),
): Promise<RunningWeb> {
  const { root, cleanup } = await tempRoot();
  await prepare?.(root);
  const stop = new AbortController();
  try {
    const web = await listenWeb({
      root,
      logger,
      signal: stop.signal,
      overrides: { port: 0, ...overrides },
    });
    running.push({ web, stop, cleanup });
    return web;
  } catch (error) {
    stop.abort();
    await cleanup();
    throw error;
  }
}

describe('web access control', () => {
  it('says how the dashboard is protected when it starts listening (token or none), never the token', async () => {
    // The line said `auth: [redacted]`: the field's name is a secret to the log's redaction, so the user
    // could not tell whether the dashboard wanted a token.
    const listening = async (overrides: Record<string, unknown>) => {
      const out = new PassThrough();
      let text = '';
      out.on('data', (chunk: Buffer) => (text += chunk.toString()));
      await start(overrides, undefined, createLogger('web', { destination: out, level: 'info' }));
      await new Promise((resolve) => setImmediate(resolve));
      const line = text.split('\n').find((l) => l.includes('dashboard listening'));
      expect(line, text).toBeDefined();
      expect(line).not.toContain('[redacted]');
      expect(line).not.toContain(TOKEN);
      return JSON.parse(line!) as { auth_mode: string; msg: string };
    };
    expect(await listening({ host: '0.0.0.0', token: TOKEN })).toMatchObject({
      auth_mode: 'token',
      msg: expect.stringMatching(/^dashboard listening on http:\/\/127\.0\.0\.1:\d+ \(auth: token\)$/),
    });
    expect(await listening({ host: '127.0.0.1' })).toMatchObject({
      auth_mode: 'none (loopback only)',
      msg: expect.stringContaining('(auth: none (loopback only))'),
    });
  });

  it('refuses to listen beyond loopback without a token, saying how to set one', async () => {
    await expect(start({ host: '0.0.0.0' })).rejects.toThrow(/no token is set; set IMK_WEB__TOKEN/);
  });

  it('reads tokenFile relative to the root, wherever imk was started from', async () => {
    const web = await start({ host: '0.0.0.0', tokenFile: 'secrets/web-token' }, async (root) => {
      await mkdir(join(root, 'secrets'));
      await writeFile(join(root, 'secrets', 'web-token'), `${TOKEN}\n`);
    });
    expect((await fetch(`${web.url}/api/status`)).status).toBe(401);
    const authorized = await fetch(`${web.url}/api/status`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(authorized.status).toBe(200);
  });

  it('a tokenFile that is a folder or missing is refused, saying so once', async () => {
    // "cannot read the web token file secrets: a folder, not a regular file: cannot read secret file
    // /…/secrets (a folder, not a regular file): /…/secrets is a folder, not a regular file" before.
    for (const [tokenFile, said] of [
      ['secrets', 'a folder, not a regular file'],
      ['no-such-token', 'ENOENT: no such file or directory'],
    ] as const) {
      const error = await start({ host: '0.0.0.0', tokenFile }, (root) => mkdir(join(root, 'secrets'))).catch(
        (e: unknown) => e,
      );
      expect(errorMessage(error)).toBe(`cannot read the web token file ${tokenFile}: ${said}`);
    }
  });

  it('IMK_WEB__TOKEN made from a file (ending in a line break) is the token without it; two lines are refused unquoted', async () => {
    process.env.IMK_WEB__TOKEN = `${TOKEN}\n`;
    try {
      const web = await start({ host: '0.0.0.0' });
      const authorized = await fetch(`${web.url}/api/status`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(authorized.status).toBe(200);
      process.env.IMK_WEB__TOKEN = 'first-half-0123456789\nsecond-half-0123456789';
      const refused = await start({ host: '0.0.0.0' }).catch((error: unknown) => error as Error);
      expect(refused).toBeInstanceOf(Error);
      expect((refused as Error).message).toMatch(/IMK_WEB__TOKEN.*line break/);
      expect((refused as Error).message).not.toMatch(/half/);
    } finally {
      delete process.env.IMK_WEB__TOKEN;
    }
  });

  it('is open on loopback when no token is set', async () => {
    const web = await start({});
    expect((await fetch(`${web.url}/api/status`)).status).toBe(200);
    // A second dashboard on the same port says what is wrong and what to do.
    await expect(start({ port: Number(new URL(web.url).port) })).rejects.toThrow(/already in use .*--port N/);
  });

  it('with a token: health checks stay open, the API wants a Bearer token or the login cookie', async () => {
    const web = await start({ host: '0.0.0.0', token: TOKEN });
    expect((await fetch(`${web.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${web.url}/readyz`)).status).toBe(200);

    const denied = await fetch(`${web.url}/api/status`);
    expect(denied.status).toBe(401);
    expect(((await denied.json()) as { message: string }).message).toMatch(/Authorization: Bearer/);
    expect((await fetch(`${web.url}/metrics`)).status).toBe(401);
    expect(
      (await fetch(`${web.url}/api/status`, { headers: { authorization: 'Bearer wrong-token-xxxxxxxx' } }))
        .status,
    ).toBe(401);
    expect(
      (await fetch(`${web.url}/api/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).status,
    ).toBe(200);

    // A browser is sent to the login form, and the form sets a cookie that opens the page.
    const page = await fetch(`${web.url}/`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/login?next=%2F');
    const wrong = await fetch(`${web.url}/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: 'nope' }),
      redirect: 'manual',
    });
    expect(wrong.status).toBe(401);
    const login = await fetch(`${web.url}/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: TOKEN, next: '/#/job/x' }),
      redirect: 'manual',
    });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/#/job/x');
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(TOKEN);
    const session = cookie.split(';')[0]!;
    expect((await fetch(`${web.url}/api/status`, { headers: { cookie: session } })).status).toBe(200);
    expect((await fetch(`${web.url}/api/status`, { headers: { cookie: 'imk_session=forged' } })).status).toBe(
      401,
    );
    // An open redirect through `next` is refused.
    const evil = await fetch(`${web.url}/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: TOKEN, next: '//evil.example/' }),
      redirect: 'manual',
    });
    expect(evil.headers.get('location')).toBe('/');
  });
});
