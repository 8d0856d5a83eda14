import { join, posix } from 'node:path';
import { isImkError } from '@imk/errors';
import type { RemoteFeatures } from './rclone-daemon.ts';
import { rcloneAddress } from './rclone-read.ts';

/** The backend's rc call: its errors already classified (rclone-failure.ts); `watched` as rclone-daemon's. */
export type RcloneCall = <T>(
  path: string,
  body: Record<string, unknown>,
  action: string,
  signal?: AbortSignal,
  watched?: boolean,
) => Promise<T>;

/**
 * What the remote can do, asked once per pass (operations/fsinfo): its native hash (sha256 first, else sha1,
 * md5), server-side move, and whether it is on this host. The look is watched before rclone has said whether
 * the remote is here: a remote on a share that stopped answering (or an sftp server that stopped) never
 * answers it, and it moves no byte, so no answer within shareTimeoutSec is UNREACHABLE; such a remote is not
 * asked again this pass (until `reset`), so its other calls fail at once.
 */
export function remoteFeatures(call: RcloneCall, remote: string) {
  let once: Promise<RemoteFeatures> | undefined;
  let local = false;
  return {
    get(signal?: AbortSignal): Promise<RemoteFeatures> {
      once ??= call<{ Hashes?: string[]; Features?: { Move?: boolean; IsLocal?: boolean } }>(
        'operations/fsinfo',
        { fs: remote },
        'read remote features',
        signal,
        true,
      ).then((info) => {
        local = info.Features?.IsLocal === true;
        return {
          // sha1 before md5: faster in rclone and here (SHA instructions).
          hash: ['sha256', 'sha1', 'md5'].find((name) => info.Hashes?.includes(name)),
          move: info.Features?.Move === true,
          local,
        };
      });
      once.catch((error: unknown) => {
        if (!isImkError(error, 'UNREACHABLE')) once = undefined;
      });
      return once;
    },
    /** Whether rclone has said the remote is on this host (its calls are then watched). */
    isLocal: (): boolean => local,
    /** The end of the pass: asked again next time. */
    reset(): void {
      once = undefined;
    },
  };
}

/**
 * Where files of a local remote are on this host: each folder's root asked once (operations/fsinfo), and
 * `foldersHere`, the folders rclone named so far by their rclone address (for messages).
 */
export function localPaths(call: RcloneCall, remote: string) {
  const roots = new Map<string, Promise<string>>();
  const foldersHere = new Map<string, string>();
  async function pathOf(path: string, signal?: AbortSignal): Promise<string> {
    const { fs, remote: name } = rcloneAddress(remote, path);
    let root = roots.get(fs);
    if (!root) {
      root = call<{ Root: string }>('operations/fsinfo', { fs }, 'read remote folder', signal).then(
        (info) => (foldersHere.set(fs, info.Root), info.Root),
        (error: unknown) => {
          // rclone will not open a folder that is a file: its path is then its parent's and its name.
          const parent = posix.dirname(path);
          if (!isImkError(error, 'PATH_NOT_FOLDER') || parent === path) throw error;
          return pathOf(parent, signal);
        },
      );
      roots.set(fs, root);
      root.catch(() => roots.delete(fs));
    }
    return join(await root, name);
  }
  return { pathOf, foldersHere };
}
