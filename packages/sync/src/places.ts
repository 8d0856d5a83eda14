import { userInfo } from 'node:os';
import { dirname, join, posix } from 'node:path';
import type { BackendOptions } from './backends/index.ts';
import { samePathKey } from './conflicts.ts';
import { SYNC_DEFAULTS } from './defaults.ts';
import { folderSilentError } from './errors.ts';
import type { SyncBackend } from './types.ts';
import { statFolders, type FolderStat } from './util/folder-stats.ts';
import { mountTables } from './util/mounts.ts';
import { joinRemote } from './util/remote-path.ts';
import { SshConnectionSchema } from './util/ssh-options.ts';

/**
 * Where each destination folder physically is, as one key however it is spelt: two backends (or two routes)
 * that name one folder (through a symlink, with a trailing `/` or `./`, through a bind mount, `local` and
 * `rclone` with a local remote, rsync over ssh and SFTP to one server) are one destination to the plan, the
 * transfers of a pass, the receipts and `imk sync status` (conflicts.ts destinationKey). Made once per plan
 * (preparePlaces) for every folder the plan can name: the folders of its transfers and of every receipt (a
 * numbered name `Title (2).m4a` is in the folder of the name it numbers).
 */
export interface DestinationPlaces {
  /** The key of the folder holding `path` on backend `backend`: undefined when not prepared. */
  folderKey(backend: string, path: string): string | undefined;
  /**
   * Why the folder holding `path` on `backend` is unreachable this pass (UNREACHABLE: the share it is on did
   * not answer a `stat` within the share timeout); undefined when it answered, or is not on this host.
   */
  unreachable?(backend: string, path: string): Error | undefined;
}

/** How preparePlaces finds the host path of a folder of a backend that writes to this host (local, rclone local). */
export type HostPathOf = (backend: string, folder: string) => Promise<string | undefined>;

const folderOf = (path: string): string => posix.dirname(path);
/** A folder of a backend, as spelt in config (not a destination key: destinationKey makes those). */
const folderId = (backend: string, folder: string): string => JSON.stringify([backend, folder]);

/**
 * The places of the folders of `paths` (each a backend and a path on it): on this host (hostPathOf answers),
 * the device and inode of the deepest folder of the path that exists, followed by the names below it not made
 * yet (so the folder is the same however it is reached: a link, a bind mount, `..`); elsewhere, the server and
 * the normalised path the backend's options give (`ssh://user@host:port/path` for rsync over ssh and SFTP,
 * `s3://endpoint/bucket/key`, `rclone:<config>:<remote>path`). A folder whose place cannot be found (the
 * share is down) keeps its backend's own spelling as its key: it is only ever one with itself. A server
 * reached over ssh at a loopback address is not taken for this host (a port may lead into a container).
 */
export async function preparePlaces(
  /** Planned transfers and receipts: each names a backend and a path on it. */
  paths: Iterable<{ backend: string; remotePath: string }>,
  backends: Readonly<Record<string, BackendOptions | undefined>>,
  hostPathOf: HostPathOf,
  /**
   * Where the mounts are listed (mountTables), and how long a mount may take to answer (ms).
   * @default SYNC_DEFAULTS.shareTimeoutSec
   */
  options: { mountinfo?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<DestinationPlaces> {
  const keys = new Map<string, string>();
  const silent = new Map<string, Error>();
  const wanted = new Map<string, { backend: string; folder: string }>();
  for (const { backend, remotePath } of paths) {
    const folder = folderOf(remotePath);
    wanted.set(folderId(backend, folder), { backend, folder });
  }
  const here = new Map<string, string>();
  await Promise.all(
    [...wanted].map(async ([id, { backend, folder }]) => {
      const backendOptions = backends[backend];
      let key: string | undefined;
      try {
        const host = await hostPathOf(backend, folder);
        if (host !== undefined) here.set(id, posix.normalize(host));
        else if (backendOptions) key = remotePlace(backendOptions, folder);
      } catch {
        key = undefined;
      }
      if (!here.has(id)) keys.set(id, key ?? `unplaced:${id}`);
    }),
  );
  // Every folder on the way up from each, asked of `stat` at once (one child per mount, bounded in time).
  const timeoutMs = options.timeoutMs ?? SYNC_DEFAULTS.shareTimeoutSec * 1000;
  const stats = await statFolders([...new Set([...here.values()].flatMap(ancestors))], {
    timeoutMs,
    mountinfo: options.mountinfo ?? mountTables(options.env).mountinfo,
    env: options.env,
  });
  for (const [id, path] of here) {
    const place = hostPlace(path, stats);
    keys.set(id, typeof place === 'string' ? place : `unplaced:${id}`);
    if (place === SILENT) {
      const { backend } = wanted.get(id)!;
      silent.set(id, folderSilentError(backend, path, timeoutMs));
    }
  }
  sameFolderWhateverTheCase(here, keys);
  return {
    folderKey: (backend, path) => keys.get(folderId(backend, folderOf(path))),
    unreachable: (backend, path) => silent.get(folderId(backend, folderOf(path))),
  };
}

/**
 * Gives the folders on this host whose paths differ only by case or accent encoding one key (destinationKey
 * takes such names for one, as an SMB share, exFAT or a Mac do). Without it, on a case-sensitive disk a
 * folder that exists (`Daft Punk/`, its own device and inode) and one not made yet (`DAFT PUNK/`, its parent's
 * device and inode and its name) had two keys, so a song routed to `DAFT PUNK/` after another had arrived in
 * `Daft Punk/` took the same file name beside it, where one pass put it under a numbered name. The key of a
 * folder that exists wins (the first by path when several do).
 */
function sameFolderWhateverTheCase(here: ReadonlyMap<string, string>, keys: Map<string, string>): void {
  const byName = new Map<string, string>();
  const placed = [...here].filter(([id]) => keys.get(id)?.startsWith('host:'));
  placed.sort(([, a], [, b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [id, path] of placed) {
    const key = keys.get(id)!;
    const name = samePathKey(path);
    const chosen = byName.get(name);
    if (chosen === undefined || (chosen.includes('/') && !key.includes('/'))) byName.set(name, key);
  }
  for (const [id, path] of placed) keys.set(id, byName.get(samePathKey(path))!);
}

const SILENT = Symbol('silent');

/**
 * UNREACHABLE (folderSilentError) when `path`, a destination folder on this host of backend `backend`, or a
 * folder above it does not answer a `stat` within `timeoutMs` (asked of a child, as preparePlaces asks), else
 * undefined: for a look at a destination outside a pass (imk doctor) before this process's own calls there,
 * which on a share that stopped answering would never return.
 */
export async function folderSilent(
  backend: string,
  path: string,
  options: { timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<Error | undefined> {
  const stats = await statFolders(ancestors(path), {
    timeoutMs: options.timeoutMs,
    mountinfo: mountTables(options.env).mountinfo,
    env: options.env,
  });
  return hostPlace(path, stats) === SILENT ? folderSilentError(backend, path, options.timeoutMs) : undefined;
}

/** `path` and every folder above it, deepest first. */
function ancestors(path: string): string[] {
  const all = [path];
  for (let folder = path; dirname(folder) !== folder; folder = dirname(folder)) all.push(dirname(folder));
  return all;
}

/**
 * `host:<dev>:<ino>` of the deepest folder of `path` that exists, then the names below it; SILENT when the
 * share it is on did not answer.
 */
function hostPlace(path: string, stats: Map<string, FolderStat>): string | typeof SILENT | undefined {
  const missing: string[] = [];
  for (let folder = path; ; folder = dirname(folder)) {
    const found = stats.get(folder);
    if (found === 'silent') return SILENT;
    if (found !== undefined && found !== 'absent') {
      const key = `host:${found.dev}:${found.ino}`;
      return missing.length === 0 ? key : `${key}/${missing.reverse().join('/')}`;
    }
    if (dirname(folder) === folder) return undefined;
    missing.push(posix.basename(folder));
  }
}

/** The server and folder a remote backend's options name, normalised. */
function remotePlace(options: BackendOptions, folder: string): string | undefined {
  const normal = (path: string) => posix.normalize(path).replace(/\/+$/, '') || '/';
  switch (options.type) {
    case 'rsync':
    case 'sftp': {
      if (options.host === undefined) return undefined;
      const user = options.username ?? userInfo().username;
      const full = joinRemote(options.root, folder);
      // A relative path is in the login's home folder (rsync over ssh and SFTP alike).
      const path = full.startsWith('/') ? normal(full) : `~/${normal(full)}`;
      return `ssh://${user}@${options.host.toLowerCase()}:${SshConnectionSchema.shape.port.parse(options.port)}${path.startsWith('/') ? '' : '/'}${path}`;
    }
    case 's3':
      return `s3://${options.endpoint ?? 'aws'}/${options.bucket}/${normal(joinRemote(options.prefix, folder)).replace(/^\/+/, '')}`;
    case 'rclone':
      return `rclone:${options.configFile ?? ''}:${options.remote}${normal(join('/', folder))}`;
    case 'local':
      return undefined;
  }
}

/**
 * HostPathOf for an engine's backends: where a folder of `local`, `rsync` without a host or `rclone` (when its
 * remote is on this host) is here, asked of the backend (`pathOnThisHost`, the answer it checks before each
 * copy) once per folder and kept: rclone has to start to answer. Other backends are elsewhere.
 */
export function createHostPaths(
  backends: Readonly<Record<string, BackendOptions | undefined>>,
  backendFor: (name: string) => SyncBackend,
): HostPathOf {
  const known = new Map<string, Promise<string | undefined>>();
  return (name, folder) => {
    const options = backends[name];
    const here =
      options?.type === 'local' ||
      options?.type === 'rclone' ||
      (options?.type === 'rsync' && options.host === undefined);
    if (!here) return Promise.resolve(undefined);
    const id = folderId(name, folder);
    let found = known.get(id);
    if (!found) {
      found = Promise.resolve()
        .then(() => backendFor(name).pathOnThisHost?.(folder))
        .catch(() => {
          known.delete(id); // asked again next time (rclone could not start, say)
          return undefined;
        });
      known.set(id, found);
    }
    return found;
  };
}
