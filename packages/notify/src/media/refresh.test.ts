import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { clockOffsetEnv } from '@imk/fs-safe/testing';
import { createLogger } from '@imk/log';
import { nodeScript } from '../../../cli/test/bundle/scripts.ts';
import { startReceiver } from '../../test/receiver.ts';
import { readNotifyResults } from '../results.ts';
import { refreshMediaServer } from './refresh.ts';
import { runRefreshes } from './run-refreshes.ts';
import { MediaServerSchema } from './schema.ts';

// Jellyfin, Plex and Navidrome cannot be installed here. Each test runs a loopback STAND-IN: a plain HTTP
// server that answers like the real one and checks the exact request its API documents (method, path,
// query, auth header). It proves we send the documented request, not that a real server accepts it.
const env = { JF_KEY: 'jf-api-key', PLEX_TOKEN: 'plex-tok', ND_PASS: 'sesame' };
const options = { env, timeoutMs: 5000 };

describe('media-server refresh (loopback stand-ins for Jellyfin, Plex, Navidrome/Subsonic)', () => {
  it('Jellyfin: POST /Library/Media/Updated with the new paths (mapped) and the MediaBrowser token header', async () => {
    const jellyfin = await startReceiver(() => ({ status: 204 }));
    try {
      const server = MediaServerSchema.parse({
        type: 'jellyfin',
        url: `${jellyfin.url}/`,
        token: { env: 'JF_KEY' },
        pathMap: { from: '/mnt/nas/music', to: '/data/music' },
      });
      await refreshMediaServer(server, 'jf', ['/mnt/nas/music/A/a.m4a', '/mnt/nas/music/A/b.m4a'], options);
      const [request] = jellyfin.requests;
      expect(request?.method).toBe('POST');
      expect(request?.url).toBe('/Library/Media/Updated');
      expect(request?.headers.authorization).toBe('MediaBrowser Token="jf-api-key"');
      expect(JSON.parse(request?.body ?? '{}')).toEqual({
        Updates: [
          { Path: '/data/music/A/a.m4a', UpdateType: 'Created' },
          { Path: '/data/music/A/b.m4a', UpdateType: 'Created' },
        ],
      });
    } finally {
      await jellyfin.close();
    }
  });

  it('a token read from the environment with a trailing newline (a Kubernetes secret made from a file) is used without it', async () => {
    const jellyfin = await startReceiver(() => ({ status: 204 }));
    try {
      const server = MediaServerSchema.parse({
        type: 'jellyfin',
        url: jellyfin.url,
        token: { env: 'JF_KEY' },
      });
      await refreshMediaServer(server, 'jf', ['/x/a.m4a'], { ...options, env: { JF_KEY: 'jf-api-key\n' } });
      expect(jellyfin.requests.map((r) => r.headers.authorization)).toEqual([
        'MediaBrowser Token="jf-api-key"',
      ]);
    } finally {
      await jellyfin.close();
    }
  });

  it('a token HTTP cannot carry (a line break inside) fails with a message that does not hold it', async () => {
    const jellyfin = await startReceiver(() => ({ status: 204 }));
    try {
      const server = MediaServerSchema.parse({
        type: 'jellyfin',
        url: jellyfin.url,
        token: { env: 'JF_KEY' },
      });
      const failure = await refreshMediaServer(server, 'jf', ['/x/a.m4a'], {
        ...options,
        env: { JF_KEY: 'first-half-of-key\nsecond-half-of-key' },
      }).catch((error: unknown) => error as Error);
      expect(failure).toBeInstanceOf(Error);
      const message = (failure as Error).message;
      // The one secret rule (@imk/config): the field and the variable are named, the value never.
      expect(message).toContain('mediaServers.jf.token');
      expect(message).toContain('JF_KEY');
      expect(message).toMatch(/line break/);
      expect(message).not.toMatch(/half-of-key/);
      expect(jellyfin.requests).toEqual([]);
    } finally {
      await jellyfin.close();
    }
  });

  it('Jellyfin mode library: POST /Library/Refresh', async () => {
    const jellyfin = await startReceiver(() => ({ status: 204 }));
    try {
      const server = MediaServerSchema.parse({
        type: 'jellyfin',
        mode: 'library',
        url: jellyfin.url,
        token: { env: 'JF_KEY' },
      });
      await refreshMediaServer(server, 'jf', ['/x/a.m4a'], options);
      expect(jellyfin.requests.map((r) => `${r.method} ${r.url} ${r.headers.authorization ?? ''}`)).toEqual([
        'POST /Library/Refresh MediaBrowser Token="jf-api-key"',
      ]);
    } finally {
      await jellyfin.close();
    }
  });

  it('Plex: GET /library/sections/<id>/refresh?path=<folder> once per new folder, X-Plex-Token header', async () => {
    const plex = await startReceiver(() => ({ status: 200 }));
    try {
      const server = MediaServerSchema.parse({
        type: 'plex',
        url: plex.url,
        token: { env: 'PLEX_TOKEN' },
        section: 3,
      });
      await refreshMediaServer(
        server,
        'plex',
        ['/music/Ab C/x.m4a', '/music/Ab C/y.m4a', '/music/D/z.m4a'],
        options,
      );
      expect(plex.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
        'GET /library/sections/3/refresh?path=%2Fmusic%2FAb%20C',
        'GET /library/sections/3/refresh?path=%2Fmusic%2FD',
      ]);
      expect(plex.requests.every((r) => r.headers['x-plex-token'] === 'plex-tok')).toBe(true);
    } finally {
      await plex.close();
    }
  });

  it('Navidrome/Subsonic: GET /rest/startScan with u, t = md5(password + s), s, v, c, f=json; a status "failed" body is an error', async () => {
    let answer = 'ok';
    const navidrome = await startReceiver(() => ({
      status: 200,
      body: JSON.stringify({
        'subsonic-response':
          answer === 'ok'
            ? { status: 'ok', version: '1.16.1' }
            : { status: 'failed', error: { code: 40, message: 'Wrong username or password' } },
      }),
    }));
    try {
      const server = MediaServerSchema.parse({
        type: 'navidrome',
        url: navidrome.url,
        user: 'admin',
        password: { env: 'ND_PASS' },
      });
      await refreshMediaServer(server, 'nd', ['/m/a.m4a'], options);
      const [request] = navidrome.requests;
      const url = new URL(request?.url ?? '', navidrome.url);
      expect(request?.method).toBe('GET');
      expect(url.pathname).toBe('/rest/startScan');
      const q = Object.fromEntries(url.searchParams);
      expect(q).toMatchObject({ u: 'admin', v: '1.16.1', c: 'instrumental-maker', f: 'json' });
      expect(q.s?.length).toBeGreaterThanOrEqual(6);
      expect(q.t).toBe(
        createHash('md5')
          .update(`sesame${q.s ?? ''}`)
          .digest('hex'),
      );
      expect(request?.url).not.toContain('sesame');
      answer = 'failed';
      await expect(refreshMediaServer(server, 'nd', ['/m/a.m4a'], options)).rejects.toThrow(
        /error 40: Wrong username or password/,
      );
    } finally {
      await navidrome.close();
    }
  });

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
    const state = await mkdtemp(join(tmpdir(), 'imk-refresh-'));
    const jellyfin = await startReceiver((_, i) => ({ status: i === 0 ? 502 : 204 }));
    try {
      const server = MediaServerSchema.parse({
        type: 'jellyfin',
        url: jellyfin.url,
        token: { env: 'JF_KEY' },
      });
      await runRefreshes({
        servers: { jf: server },
        delivered: new Map([['jf', ['/m/a.m4a']]]),
        stateDir: state,
        logger: createLogger('t', { level: 'silent' }),
        env,
        firstDelayMs: 50,
      });
      expect(jellyfin.requests).toHaveLength(2);
      const results = (await readNotifyResults(state)).reverse();
      expect(results.map((r) => [r.event, r.target, r.attempt, r.ok])).toEqual([
        ['refresh', 'jf', 1, false],
        ['refresh', 'jf', 2, true],
      ]);
      expect(results[0]?.error).toContain('HTTP 502');
    } finally {
      await jellyfin.close();
      await rm(state, { recursive: true, force: true });
    }
  });

  it('files delivered while the server was down are reported once it is back, and only once', async () => {
    const state = await mkdtemp(join(tmpdir(), 'imk-refresh-'));
    let down = true;
    const jellyfin = await startReceiver(() => ({ status: down ? 503 : 204 }));
    try {
      const server = MediaServerSchema.parse({
        type: 'jellyfin',
        url: jellyfin.url,
        token: { env: 'JF_KEY' },
      });
      const pass = (delivered: string[]) =>
        runRefreshes({
          servers: { jf: server },
          delivered: new Map(delivered.length > 0 ? [['jf', delivered]] : []),
          stateDir: state,
          logger: createLogger('t', { level: 'silent' }),
          env,
          firstDelayMs: 1,
          owedRetryMs: 1,
        });
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
    } finally {
      await jellyfin.close();
      await rm(state, { recursive: true, force: true });
    }
  });

  it('a pass that delivers nothing asks a server again for the files it missed while it was down', async () => {
    const state = await mkdtemp(join(tmpdir(), 'imk-refresh-'));
    let down = true;
    const plex = await startReceiver(() => ({ status: down ? 503 : 200 }));
    try {
      const server = MediaServerSchema.parse({
        type: 'plex',
        url: plex.url,
        token: { env: 'PLEX_TOKEN' },
        section: 2,
      });
      const pass = (delivered: string[]) =>
        runRefreshes({
          servers: { px: server },
          delivered: new Map(delivered.length > 0 ? [['px', delivered]] : []),
          stateDir: state,
          logger: createLogger('t', { level: 'silent' }),
          env,
          firstDelayMs: 1,
          owedRetryMs: 1,
        });
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
    } finally {
      await plex.close();
      await rm(state, { recursive: true, force: true });
    }
  });

  it('a server that stays down is not asked again at every pass that delivers nothing to it', async () => {
    const state = await mkdtemp(join(tmpdir(), 'imk-refresh-'));
    const jellyfin = await startReceiver(() => ({ status: 401 })); // a wrong API key, say
    try {
      const server = MediaServerSchema.parse({
        type: 'jellyfin',
        url: jellyfin.url,
        token: { env: 'JF_KEY' },
      });
      const pass = (delivered: string[]) =>
        runRefreshes({
          servers: { jf: server },
          delivered: new Map(delivered.length > 0 ? [['jf', delivered]] : []),
          stateDir: state,
          logger: createLogger('t', { level: 'silent' }),
          env,
          firstDelayMs: 1,
        });
      await pass(['/m/a.m4a']);
      expect(jellyfin.requests).toHaveLength(3);
      for (let i = 0; i < 5; i++) await pass([]);
      expect(jellyfin.requests).toHaveLength(3);
    } finally {
      await jellyfin.close();
      await rm(state, { recursive: true, force: true });
    }
  });
});

describe("a refresh's retry time written by a host whose clock is off the file system's", () => {
  // refresh-owed/<server>.json's next_at was the writing host's Date.now() plus the wait, judged by the
  // Date.now() of whichever host ran the next pass (state/ is shared): a host a day behind wrote a time
  // already past for the others (a server that stays down asked at every pass), one a day ahead made the
  // others wait a day. Retry times are on the file system's clock now.
  const CHILD = fileURLToPath(new URL('../../test/refresh-child.ts', import.meta.url));

  /** A pass on another host (its clock `offsetMs` off) delivers a file to a Plex that is down: owed. */
  async function owedByOtherHost(offsetMs: number, owedRetryMs: number) {
    const state = await mkdtemp(join(tmpdir(), 'imk-refresh-'));
    let down = true;
    const plex = await startReceiver(() => ({ status: down ? 503 : 200 }));
    const raw = { type: 'plex', url: plex.url, token: { env: 'PLEX_TOKEN' }, section: 2 };
    const other = await execa(
      process.execPath,
      [
        ...nodeScript(CHILD),
        JSON.stringify({ stateDir: state, name: 'px', server: raw, delivered: ['/m/A/a.m4a'], owedRetryMs }),
      ],
      { reject: false, all: true, env: { ...clockOffsetEnv(offsetMs), PLEX_TOKEN: env.PLEX_TOKEN } },
    );
    expect(other.exitCode, String(other.all)).toBe(0);
    expect(plex.requests).toHaveLength(3); // the other host's three tries
    down = false;
    const here = () =>
      runRefreshes({
        servers: { px: MediaServerSchema.parse(raw) },
        delivered: new Map(),
        stateDir: state,
        logger: createLogger('t', { level: 'silent' }),
        env,
        owedRetryMs,
      });
    const done = async () => {
      await plex.close();
      await rm(state, { recursive: true, force: true });
    };
    return { plex, here, done };
  }

  it('by a host a day behind, waits its turn here', async () => {
    const { plex, here, done } = await owedByOtherHost(-86_400_000, 60_000);
    try {
      await here();
      expect(plex.requests).toHaveLength(3); // a minute not yet over on the file system's clock
    } finally {
      await done();
    }
  });

  it('by a host a day ahead, is asked here once due, not a day later', async () => {
    const { plex, here, done } = await owedByOtherHost(86_400_000, 1000);
    try {
      // Due a second after the other host's last try, on the file system's clock.
      const end = performance.now() + 15_000;
      while (plex.requests.length === 3 && performance.now() < end) {
        await here();
        await sleep(100);
      }
      expect(plex.requests.length, 'the owed refresh was not asked again within 15 s').toBe(4);
    } finally {
      await done();
    }
  });
});
