import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { startReceiver } from '../../test/receiver.ts';
import { readNotifyResults } from '../results.ts';
import { runRefreshes } from './run-refreshes.ts';
import { MediaServerSchema, type MediaServer } from './schema.ts';

// What a run of refreshes does when a server refuses, fails or is down: what is recorded, retried and owed.
// Jellyfin, Plex and Navidrome cannot be installed here. Each test runs a loopback STAND-IN: a plain HTTP
// server that answers like the real one and checks the exact request its API documents (method, path,
// query, auth header). It proves we send the documented request, not that a real server accepts it.
const env = { JF_KEY: 'jf-api-key', PLEX_TOKEN: 'plex-tok', ND_PASS: 'sesame' };

type StandIn = Awaited<ReturnType<typeof startReceiver>>;

/** A state folder and a loopback stand-in answering `reply`, for `body`; both closed and removed after it. */
async function withStandIn(
  reply: Parameters<typeof startReceiver>[0],
  body: (standIn: StandIn, state: string) => Promise<void>,
): Promise<void> {
  const state = await mkdtemp(join(tmpdir(), 'imk-refresh-'));
  const standIn = await startReceiver(reply);
  try {
    await body(standIn, state);
  } finally {
    await standIn.close();
    await rm(state, { recursive: true, force: true });
  }
}

/**
 * A pass of refreshes on the one server `name` (silent, the tests' env, a 1-ms first delay unless
 * `options` say otherwise), given the files it delivered to it (none: a pass that delivered nothing).
 */
function passOf(
  name: string,
  server: MediaServer,
  state: string,
  options: { firstDelayMs?: number; owedRetryMs?: number } = {},
): (delivered: string[]) => ReturnType<typeof runRefreshes> {
  return (delivered) =>
    runRefreshes({
      servers: { [name]: server },
      delivered: new Map(delivered.length > 0 ? [[name, delivered]] : []),
      stateDir: state,
      logger: createLogger('t', { level: 'silent' }),
      env,
      firstDelayMs: 1,
      ...options,
    });
}

describe('media-server refresh runs: records, retries and files owed (loopback stand-ins)', () => {
  it('a refused token or login is recorded naming the server, the setting and what to do', async () => {
    const state = await mkdtemp(join(tmpdir(), 'imk-refresh-refused-'));
    const refusing = await startReceiver((request) =>
      request.url.startsWith('/rest/')
        ? {
            status: 200,
            body: JSON.stringify({
              'subsonic-response': {
                status: 'failed',
                error: request.url.includes('u=admin')
                  ? { code: 40, message: 'Wrong username or password' }
                  : { code: 50, message: 'User not authorized for the given operation' },
              },
            }),
          }
        : { status: 401, body: 'Unauthorized' },
    );
    try {
      await runRefreshes({
        servers: {
          jf: MediaServerSchema.parse({ type: 'jellyfin', url: refusing.url, token: { env: 'JF_KEY' } }),
          plex: MediaServerSchema.parse({
            type: 'plex',
            url: refusing.url,
            token: { env: 'PLEX_TOKEN' },
            section: 3,
          }),
          nd: MediaServerSchema.parse({
            type: 'navidrome',
            url: refusing.url,
            user: 'admin',
            password: { env: 'ND_PASS' },
          }),
          nd2: MediaServerSchema.parse({
            type: 'navidrome',
            url: refusing.url,
            user: 'listener',
            password: { env: 'ND_PASS' },
          }),
        },
        delivered: new Map(['jf', 'plex', 'nd', 'nd2'].map((name) => [name, ['/m/A/a.m4a']])),
        stateDir: state,
        logger: createLogger('t', { level: 'silent' }),
        env,
        firstDelayMs: 1,
      });
      // The last try of each (the panel shows it), newest first in the record.
      const last = new Map<string, string | undefined>();
      for (const result of await readNotifyResults(state))
        if (!last.has(result.target)) last.set(result.target, result.error);
      expect(last.get('jf')).toMatch(
        /^jellyfin jf \(http:\/\/127\.0\.0\.1:\d+\): HTTP 401 \(Unauthorized\); Jellyfin refused the API key of mediaServers\.jf\.token: check it, or make a new one in Jellyfin's Dashboard > API Keys$/,
      );
      expect(last.get('plex')).toMatch(
        /^plex plex \(.*section 3\): HTTP 401 \(Unauthorized\); Plex refused the token of mediaServers\.plex\.token: check it .* may manage section 3$/,
      );
      expect(last.get('nd')).toMatch(
        /error 40: Wrong username or password; check mediaServers\.nd\.user and mediaServers\.nd\.password/,
      );
      expect(last.get('nd2')).toMatch(
        /error 50: .*; the user mediaServers\.nd2\.user may not start a scan: Navidrome needs an admin user$/,
      );
    } finally {
      await refusing.close();
      await rm(state, { recursive: true, force: true });
    }
  });

  it('a server that fails is retried with backoff and recorded; it stops nothing', async () => {
    await withStandIn(
      (_, i) => ({ status: i === 0 ? 502 : 204 }),
      async (jellyfin, state) => {
        const server = MediaServerSchema.parse({
          type: 'jellyfin',
          url: jellyfin.url,
          token: { env: 'JF_KEY' },
        });
        await passOf('jf', server, state, { firstDelayMs: 50 })(['/m/a.m4a']);
        expect(jellyfin.requests).toHaveLength(2);
        const results = (await readNotifyResults(state)).reverse();
        expect(results.map((r) => [r.event, r.target, r.attempt, r.ok])).toEqual([
          ['refresh', 'jf', 1, false],
          ['refresh', 'jf', 2, true],
        ]);
        expect(results[0]?.error).toContain('HTTP 502');
      },
    );
  });

  it('files delivered while the server was down are reported once it is back, and only once', async () => {
    let down = true;
    await withStandIn(
      () => ({ status: down ? 503 : 204 }),
      async (jellyfin, state) => {
        const server = MediaServerSchema.parse({
          type: 'jellyfin',
          url: jellyfin.url,
          token: { env: 'JF_KEY' },
        });
        const pass = passOf('jf', server, state, { owedRetryMs: 1 });
        const reported = () =>
          jellyfin.requests.map((r) =>
            (JSON.parse(r.body) as { Updates: { Path: string }[] }).Updates.map((u) => u.Path),
          );
        // Jellyfin restarting: every try of this pass fails.
        await pass(['/m/A/one.m4a']);
        expect(reported()).toEqual([['/m/A/one.m4a'], ['/m/A/one.m4a'], ['/m/A/one.m4a']]);
        // Back up. The next pass that delivers reports its file and the one Jellyfin missed.
        down = false;
        await pass(['/m/B/two.m4a']);
        expect(reported().at(-1)).toEqual(['/m/A/one.m4a', '/m/B/two.m4a']);
        // Then nothing is owed: a pass that delivers nothing asks nothing.
        const asked = jellyfin.requests.length;
        await pass([]);
        expect(jellyfin.requests).toHaveLength(asked);
      },
    );
  });

  it('a pass that delivers nothing asks a server again for the files it missed while it was down', async () => {
    let down = true;
    await withStandIn(
      () => ({ status: down ? 503 : 200 }),
      async (plex, state) => {
        const server = MediaServerSchema.parse({
          type: 'plex',
          url: plex.url,
          token: { env: 'PLEX_TOKEN' },
          section: 2,
        });
        const pass = passOf('px', server, state, { owedRetryMs: 1 });
        await pass(['/music/Artist/song.flac']);
        await new Promise((resolve) => setTimeout(resolve, 5)); // the wait before asking again (1 ms here)
        down = false;
        const before = plex.requests.length;
        await pass([]);
        expect(plex.requests.slice(before).map((r) => r.url)).toEqual([
          `/library/sections/2/refresh?path=${encodeURIComponent('/music/Artist')}`,
        ]);
        await pass([]);
        expect(plex.requests).toHaveLength(before + 1);
      },
    );
  });

  it('a server that stays down is not asked again at every pass that delivers nothing to it', async () => {
    // A wrong API key, say.
    await withStandIn(
      () => ({ status: 401 }),
      async (jellyfin, state) => {
        const server = MediaServerSchema.parse({
          type: 'jellyfin',
          url: jellyfin.url,
          token: { env: 'JF_KEY' },
        });
        const pass = passOf('jf', server, state);
        await pass(['/m/a.m4a']);
        expect(jellyfin.requests).toHaveLength(3);
        for (let i = 0; i < 5; i++) await pass([]);
        expect(jellyfin.requests).toHaveLength(3);
      },
    );
  });
});
