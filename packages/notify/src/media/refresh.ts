import { createHash, randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { ImkError } from '@imk/errors';
import { urlForLog } from '@imk/log';
import { httpRequest } from '../http.ts';
import { readNotifySecret } from '../secrets.ts';
import type { MediaServer } from './schema.ts';
import '../errors.ts';

export interface RefreshOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Plex is asked per folder; more new folders than this in one pass is one scan of the whole section. */
const PLEX_MAX_FOLDERS = 10;

const base = (url: string) => url.replace(/\/+$/, '');

/** A delivered path as the server sees it (pathMap), unchanged when it does not start with `from`. */
export function serverPath(
  server: { pathMap?: { from: string; to: string } | undefined },
  path: string,
): string {
  const map = server.pathMap;
  if (!map) return path;
  const from = map.from.replace(/\/+$/, '');
  if (path !== from && !path.startsWith(`${from}/`)) return path;
  return map.to.replace(/\/+$/, '') + path.slice(from.length);
}

/**
 * Asks one media server to pick up the files a sync pass delivered, with the request its API documents:
 * Jellyfin POST /Library/Media/Updated (or /Library/Refresh), Plex GET /library/sections/<id>/refresh?path=,
 * Subsonic/Navidrome GET /rest/startScan. Throws ImkError NOTIFY_SEND_FAILED; tokens never reach a message.
 */
export async function refreshMediaServer(
  server: MediaServer,
  name: string,
  deliveredPaths: readonly string[],
  options: RefreshOptions,
): Promise<string> {
  const request = { timeoutMs: options.timeoutMs, signal: options.signal };
  const paths = [...new Set(deliveredPaths.map((p) => ('pathMap' in server ? serverPath(server, p) : p)))];
  switch (server.type) {
    case 'jellyfin': {
      const token = readNotifySecret(server.token, `mediaServers.${name}.token`, options.env);
      const headers = { Authorization: `MediaBrowser Token="${token}"`, 'Content-Type': 'application/json' };
      const whenRefused = `Jellyfin refused the API key of mediaServers.${name}.token: check it, or make a new one in Jellyfin's Dashboard > API Keys`;
      if (server.mode === 'library') {
        await httpRequest({
          ...request,
          method: 'POST',
          url: `${base(server.url)}/Library/Refresh`,
          headers,
          whenRefused,
          what: `jellyfin ${name} (${urlForLog(server.url)})`,
        });
        return 'library refresh started';
      }
      await httpRequest({
        ...request,
        method: 'POST',
        url: `${base(server.url)}/Library/Media/Updated`,
        headers,
        whenRefused,
        body: JSON.stringify({ Updates: paths.map((Path) => ({ Path, UpdateType: 'Created' })) }),
        what: `jellyfin ${name} (${urlForLog(server.url)})`,
      });
      return `reported ${paths.length} new file${paths.length === 1 ? '' : 's'}`;
    }
    case 'plex': {
      const token = readNotifySecret(server.token, `mediaServers.${name}.token`, options.env);
      const folders = [...new Set(paths.map((p) => posix.dirname(p)))];
      const scans = folders.length > PLEX_MAX_FOLDERS ? [undefined] : folders;
      for (const folder of scans) {
        const query = folder === undefined ? '' : `?path=${encodeURIComponent(folder)}`;
        await httpRequest({
          ...request,
          method: 'GET',
          url: `${base(server.url)}/library/sections/${server.section}/refresh${query}`,
          // Plex takes the token as a header too: it stays out of URLs that proxies and logs keep.
          headers: { 'X-Plex-Token': token, Accept: 'application/json' },
          what: `plex ${name} (${urlForLog(server.url)}, section ${server.section})`,
          whenRefused: `Plex refused the token of mediaServers.${name}.token: check it (Plex's "Finding an authentication token" article says where to read yours), and that its account may manage section ${server.section}`,
        });
      }
      return folders.length > PLEX_MAX_FOLDERS
        ? 'section scan started'
        : `scan of ${folders.length} folder${folders.length === 1 ? '' : 's'} started`;
    }
    case 'subsonic':
    case 'navidrome': {
      const password = readNotifySecret(server.password, `mediaServers.${name}.password`, options.env);
      const salt = randomBytes(8).toString('hex');
      const query = new URLSearchParams({
        u: server.user,
        t: createHash('md5')
          .update(password + salt)
          .digest('hex'),
        s: salt,
        v: server.apiVersion,
        c: server.client,
        f: 'json',
      });
      const what = `${server.type} ${name} (${urlForLog(server.url)})`;
      const { text } = await httpRequest({
        ...request,
        method: 'GET',
        url: `${base(server.url)}/rest/startScan?${query.toString()}`,
        what,
        readBody: true,
      });
      // Subsonic answers errors (a wrong password too) with HTTP 200 and status "failed" in the body.
      let reply: { 'subsonic-response'?: { status?: string; error?: { code?: number; message?: string } } };
      try {
        reply = JSON.parse(text) as typeof reply;
      } catch {
        throw new ImkError('NOTIFY_SEND_FAILED', `${what}: the reply is not Subsonic JSON`);
      }
      const body = reply['subsonic-response'];
      if (body?.status !== 'ok')
        throw new ImkError(
          'NOTIFY_SEND_FAILED',
          `${what}: ${body?.error ? `error ${body.error.code ?? '?'}: ${body.error.message ?? ''}${subsonicFix(body.error.code, name)}` : 'no subsonic-response status ok'}`,
        );
      return 'scan started';
    }
  }
}

/** What to change for the Subsonic error codes of a refused login (40, 41) or user (50). */
function subsonicFix(code: number | undefined, name: string): string {
  if (code === 40 || code === 41)
    return `; check mediaServers.${name}.user and mediaServers.${name}.password (the password itself, not an API key)`;
  if (code === 50)
    return `; the user mediaServers.${name}.user may not start a scan: Navidrome needs an admin user`;
  return '';
}
