import type { LegacyEnv } from './types.ts';

/**
 * Its NAS sync service ran `rsync -av FILE <to>` with each route's `to` as expanded (its remote roots put in):
 * rsync itself decides from that text where it goes. A colon before the first slash makes it a server reached
 * over ssh (`me@nas:/volume1/audio/Instrumental`, rsync's remote-shell syntax), `host::module` or `rsync://`
 * an rsync daemon, anything else a folder here. Our rsync backend names its server once (`host`, `username`)
 * and its routes give folders on it, so imk migrate splits each such root or `to` into the two.
 */

/** The earlier version's remote roots, by variable. */
export const NAS_ROOTS = {
  NAS_REMOTE_ROOT_AUDIO: 'audio',
  NAS_REMOTE_ROOT_VIDEO: 'video',
  NAS_REMOTE_ROOT_STEMS: 'stems',
} as const;

/** The backend of a destination on this host (and of every one when no root names a server). */
export const LOCAL_BACKEND = 'nas';

export interface RsyncServer {
  /** The backend written for it: `nas` for the first server named, `nas-2`, … after. */
  backend: string;
  host: string;
  username?: string;
}

export type RsyncTarget =
  | { where: 'here'; path: string }
  | { where: 'server'; server: { host: string; username?: string }; path: string }
  | { where: 'daemon' };

/** Where rsync took `value` to be, by its own rule (a colon before the first slash is a server). */
export function rsyncTarget(value: string): RsyncTarget {
  // An IPv6 address in brackets ([::1]:/x) holds colons of its own.
  const unbracketed = value.replace(/^([^@/]*@)?\[[^\]]*\]/, '$1host');
  if (/^rsync:\/\//i.test(value) || /^[^/]*::/.test(unbracketed)) return { where: 'daemon' };
  const m = /^(?:([^@/:\s]+)@)?(\[[^\]\s]+\]|[^@/:\s[\]]+):(.*)$/s.exec(value);
  // A one-letter "host" is a Windows drive (C:\…), which rsync on Windows builds read as a path.
  if (!m || m[2]!.length < 2) return { where: 'here', path: value };
  return {
    where: 'server',
    server: { host: m[2]!.replace(/^\[(.*)\]$/, '$1'), ...(m[1] && { username: m[1] }) },
    path: m[3]!,
  };
}

const serverKey = (server: { host: string; username?: string }): string =>
  `${server.username ?? ''}@${server.host}`;

/** Whether its NAS sync service used rsync (its default method). */
export const usesRsync = (env: LegacyEnv): boolean =>
  (env.NAS_SYNC_METHOD ?? 'rsync').toLowerCase() === 'rsync';

/** A route's `to` with the earlier version's remote roots put in, as its `_expand_variables` did. */
export function expandLegacyTo(to: string, env: LegacyEnv): string {
  let out = to;
  for (const [key, root] of Object.entries(NAS_ROOTS))
    out = out.split(`\${remoteRoots.${root}}`).join(env[key] ?? '');
  return out;
}

/**
 * The servers its rsync reached (from the remote roots, then the routes' literal `to`s, in that order), each
 * with the backend imk migrate writes for it; none unless the method was rsync.
 */
export function rsyncServers(env: LegacyEnv, routeTos: readonly string[] = []): RsyncServer[] {
  if (!usesRsync(env)) return [];
  const found = new Map<string, RsyncServer>();
  const values = [...Object.keys(NAS_ROOTS).map((key) => env[key] ?? ''), ...routeTos];
  for (const value of values) {
    const target = rsyncTarget(value);
    if (target.where !== 'server' || found.has(serverKey(target.server))) continue;
    const backend = found.size === 0 ? 'nas' : `nas-${found.size + 1}`;
    found.set(serverKey(target.server), { backend, ...target.server });
  }
  return [...found.values()];
}

/** The backend that sends to `value` (an expanded `to`): its server's, or the one for folders here. */
export function backendFor(value: string, servers: readonly RsyncServer[]): string {
  const target = rsyncTarget(value);
  if (target.where !== 'server') return servers.length > 0 ? `${LOCAL_BACKEND}-local` : LOCAL_BACKEND;
  return servers.find((s) => serverKey(s) === serverKey(target.server))?.backend ?? LOCAL_BACKEND;
}
