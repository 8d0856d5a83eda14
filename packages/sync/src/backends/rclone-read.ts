import { posix } from 'node:path';
import { isImkError } from '@imk/errors';
import { syncError } from '../errors.ts';
import { runTool } from '../util/run-tool.ts';
import type { StatItem } from './rclone-daemon.ts';
import { classifyRcloneFailure } from './rclone-failure.ts';

/** A file as rclone's remote control API addresses it: `remote:dir`, and its name. */
// A type, not an interface: it is sent as an rc call's body (a Record of strings).
export type RcloneAddress = { fs: string; remote: string };

/** `remote:dir` and name for `path` below the backend's remote `root`. */
export function rcloneAddress(root: string, path: string): RcloneAddress {
  const dir = posix.dirname(path);
  const fs =
    dir === '.'
      ? root
      : root.endsWith(':') || root.endsWith('/')
        ? `${root}${dir}`
        : `${root}/${dir.replace(/^\/+/, '')}`;
  return { fs, remote: posix.basename(path) };
}

/**
 * The sha256 of a file on the remote, read back through rclone (`rclone hashsum sha256 --download`), with
 * the backend's flags; `path` and `where` name it in messages.
 */
export async function rcloneReadBack(
  binary: string,
  flags: string[],
  target: RcloneAddress,
  path: string,
  where: string,
  signal?: AbortSignal,
): Promise<string> {
  const separator = target.fs.endsWith(':') || target.fs.endsWith('/') ? '' : '/';
  const result = await runTool(
    binary,
    ['hashsum', 'sha256', '--download', `${target.fs}${separator}${target.remote}`, ...flags],
    { signal },
  );
  if (result.exitCode !== 0)
    throw classifyRcloneFailure(result.stderr, `read back ${path}`, where, result.exitCode);
  const hash = /^[0-9a-f]{64}/.exec(result.stdout.trim());
  if (!hash) throw syncError('TRANSFER_FAILED', `${where}: rclone printed no sha256 for ${path}`);
  return hash[0];
}

/**
 * The file standing where a folder of `path` has to be, asked of the remote through `stat` (rclone to
 * another machine; undefined when none is found).
 */
export async function fileInTheWay(
  stat: (path: string, hashType?: string, signal?: AbortSignal) => Promise<StatItem | undefined>,
  path: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  for (let dir = posix.dirname(path); ; dir = posix.dirname(dir)) {
    // Below a file, some servers answer "not a directory" rather than "not found": go on up.
    const item = await stat(dir, undefined, signal).catch((error: unknown) =>
      isImkError(error, 'PATH_NOT_FOLDER') ? undefined : null,
    );
    if (item === null) return undefined;
    if (item) return item.IsDir ? undefined : dir;
    if (dir === '/' || dir === '.') return undefined;
  }
}
