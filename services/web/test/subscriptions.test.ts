import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDashboardSubscriptions, subscriptionPaths, writeSubscriptionStatus } from '@imk/retriever-sdk';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { quietLogger, tempRoot } from './helpers.ts';

// Adding a subscription from the dashboard: an authenticated JSON route that writes the file the YouTube
// retriever reads (state/youtube-retriever/subscriptions.json); the list shows each one's last run.
const TOKEN = 'test-token-0123456789abcdef';
let root: string;
let cleanup: () => Promise<void>;
let web: RunningWeb;
const stop = new AbortController();

beforeAll(async () => {
  ({ root, cleanup } = await tempRoot());
  web = await listenWeb({
    root,
    logger: quietLogger(),
    signal: stop.signal,
    overrides: { port: 0, host: '127.0.0.1', token: TOKEN },
  });
});
afterAll(async () => {
  stop.abort();
  await web.closed;
  await cleanup();
});

const post = (body: unknown, auth = true) =>
  fetch(`${web.url}/api/subscriptions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(auth && { authorization: `Bearer ${TOKEN}` }),
    },
    body: JSON.stringify(body),
  });

describe('subscriptions from the dashboard', () => {
  it('a form that sends every as a number, or limit 0, is told which field and what to write', async () => {
    const bad = await post({ url: 'https://www.youtube.com/@band/videos', every: 30, limit: 0 });
    expect(bad.status).toBe(400);
    const why = ((await bad.json()) as { message: string }).message;
    expect(why).toMatch(
      /every: expected a duration of at least 1m.*; a number needs its unit: 30m, 30h or 30d/,
    );
    expect(why).toMatch(/limit: expected at least 1: the most new entries fetched per run/);
  });

  it('a script with a misspelt field, or a YouTube Mix link, is refused naming it; nothing is saved', async () => {
    const typo = await post({ url: 'https://www.youtube.com/@typo/videos', evrey: '1h', limit: 3 });
    expect(typo.status).toBe(400);
    const typoSaid = ((await typo.json()) as { message: string }).message;
    expect(typoSaid).toMatch(/Unrecognized key: "evrey"/);
    const mix = await post({ url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=RDdQw4w9WgXcQ' });
    expect(mix.status).toBe(400);
    expect(((await mix.json()) as { message: string }).message).toMatch(
      /^url: a YouTube Mix or radio \(list=RD…\) has no end .* cannot be subscribed to/,
    );
    const saved = await readDashboardSubscriptions(join(root, 'state'));
    expect(saved.map((s) => s.url)).not.toContain('https://www.youtube.com/@typo/videos');
  });

  it('a subscriptions.json edited by hand with a misspelt field is refused naming it, not run with the default', async () => {
    const state = await mkdtemp(join(tmpdir(), 'imk-subs-typo-'));
    try {
      await mkdir(join(state, 'youtube-retriever'), { recursive: true });
      await writeFile(
        join(state, 'youtube-retriever', 'subscriptions.json'),
        JSON.stringify({
          schema_version: 1,
          subscriptions: [{ url: 'https://www.youtube.com/@x/videos', evrey: '1h', added_at: 'x' }],
        }),
      );
      await expect(readDashboardSubscriptions(state)).rejects.toThrow(/subscriptions\.0.*evrey/);
    } finally {
      await rm(state, { recursive: true, force: true });
    }
  });

  it('adds one (token required, bad input named), once, and lists it with the last runs', async () => {
    const url = 'https://www.youtube.com/@somechannel/videos';
    expect((await post({ url }, false)).status).toBe(401);

    const bad = await post({ url: 'ftp://example.com/list', every: '5s', limit: 0 });
    expect(bad.status).toBe(400);
    const why = ((await bad.json()) as { message: string }).message;
    expect(why).toMatch(/url: only http\(s\) links/);
    expect(why).toMatch(/every: expected a duration of at least 1m/);
    expect(why).toMatch(/limit:/);

    const added = await post({ url, mode: 'audio', every: '12h', limit: 3 });
    expect(added.status).toBe(201);
    const { id } = (await added.json()) as { id: string };
    expect((await post({ url, mode: 'audio', every: '12h', limit: 3 })).status).toBe(200); // already there
    expect(await readDashboardSubscriptions(join(root, 'state'))).toEqual([
      { url, mode: 'audio', every: '12h', limit: 3 },
    ]);

    // A subscription from config that ran and failed: the retriever wrote its status file.
    await writeSubscriptionStatus(join(root, 'state'), {
      id: '0123456789ab',
      url: 'https://example.com/playlist',
      last_run_at: '2026-01-01T00:00:00.000Z',
      ok: false,
      fetched: [],
      failed: [],
      error: { code: 'NOT_FOUND', message: 'https://example.com/playlist: HTTP 404' },
    });
    const list = await fetch(`${web.url}/api/subscriptions`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(await list.json()).toEqual({
      subscriptions: [
        { id, source: 'dashboard', url, mode: 'audio', every: '12h', limit: 3, status: null },
        expect.objectContaining({
          id: '0123456789ab',
          source: 'config',
          status: expect.objectContaining({
            ok: false,
            error: expect.objectContaining({ code: 'NOT_FOUND' }),
          }),
        }),
      ],
    });
  });

  it('a link pasted with spaces around it is the one already there, listed once', async () => {
    const list = 'https://www.youtube.com/playlist?list=PLpasted';
    const first = await post({ url: list, every: '1h', limit: 2 });
    expect(first.status).toBe(201);
    const again = await post({ url: ` ${list} \n`, every: '1h', limit: 2 });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ added: false, subscription: { url: list } });
    const listed = (await (
      await fetch(`${web.url}/api/subscriptions`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { subscriptions: { url: string }[] };
    expect(listed.subscriptions.filter((row) => row.url.trim() === list)).toHaveLength(1);
  });

  it('a file an earlier version saved with one list twice (with and without the space of its paste) lists it once', async () => {
    const list = 'https://www.youtube.com/playlist?list=PLtwice';
    const file = subscriptionPaths(join(root, 'state')).dashboardFile;
    const entry = (url: string) => ({ url, every: '1h', limit: 2, added_at: '2026-01-01T00:00:00.000Z' });
    await mkdir(dirname(file), { recursive: true });
    await writeFile(
      file,
      JSON.stringify({ schema_version: 1, subscriptions: [entry(list), entry(`${list} `)] }),
    );
    const listed = (await (
      await fetch(`${web.url}/api/subscriptions`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { subscriptions: { url: string }[] };
    expect(listed.subscriptions.map((row) => row.url).filter((url) => url.includes('PLtwice'))).toEqual([
      list,
    ]);
  });
});
