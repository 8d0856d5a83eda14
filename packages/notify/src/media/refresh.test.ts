import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startReceiver } from '../../test/receiver.ts';
import { refreshMediaServer } from './refresh.ts';
import { MediaServerSchema } from './schema.ts';

// The request each server's API documents. Retries, records and files owed: run-refreshes.test.ts; retry
// times judged across hosts: refresh-clock.test.ts.
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
});
