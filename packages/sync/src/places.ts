import { stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join, posix } from 'node:path';
import type { BackendOptions } from './backends/index.ts';
import type { SyncBackend } from './types.ts';
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
): Promise<DestinationPlaces> {
  const keys = new Map<string, string>();
  const wanted = new Map<string, { backend: string; folder: string }>();
  for (const { backend, remotePath } of paths) {
    const folder = folderOf(remotePath);
    wanted.set(folderId(backend, folder), { backend, folder });
  }
  const inodes = new Map<string, Promise<string | undefined>>();
  await Promise.all(
    [...wanted].map(async ([id, { backend, folder }]) => {
      const options = backends[backend];
      let key: string | undefined;
      try {
        const host = await hostPathOf(backend, folder);
        if (host !== undefined) key = await hostPlace(host, inodes);
        else if (options) key = remotePlace(options, folder);
      } catch {
        key = undefined;
      }
      keys.set(id, key ?? `unplaced:${id}`);
    }),
  );
  return { folderKey: (backend, path) => keys.get(folderId(backend, folderOf(path))) };
}

/** `host:<dev>:<ino>` of the deepest folder of `path` that exists, then the names below it. */
async function hostPlace(
  path: string,
  inodes: Map<string, Promise<string | undefined>>,
): Promise<string | undefined> {
  const missing: string[] = [];
  for (let folder = posix.normalize(path); ; folder = dirname(folder)) {
    let found = inodes.get(folder);
    if (!found) {
      found = stat(folder).then(
        (info) => (info.isDirectory() ? `host:${info.dev}:${info.ino}` : undefined),
        () => undefined,
      );
      inodes.set(folder, found);
    }
    const key = await found;
    if (key !== undefined) return missing.length === 0 ? key : `${key}/${missing.reverse().join('/')}`;
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
