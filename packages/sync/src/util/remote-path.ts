import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { homeTildeProblem } from '@imk/config';
import { fitBytes } from '@imk/fs-safe';

/**
 * The end of every temporary name a backend writes (tempPathFor), the one spelling of it: rsync's partial
 * folders, the sweeps of leftovers (on this host and, as shell patterns, on a server) and the messages
 * that name such files take it from here.
 */
export const TEMP_SUFFIX = '.imk-tmp';

/**
 * The temporary name a backend writes before renaming into place: hidden, beside the final file (so the
 * rename never crosses a filesystem), and the same for the same content, final name and writer, so a retry
 * after a crash overwrites the writer's earlier partial instead of leaving it behind (and rsync resumes it).
 * `owner` (BackendContext.tempOwner: one per nas-sync state folder) keeps two writers apart: two nas-syncs
 * delivering the same file to one destination at once never write, verify or remove one temp between them.
 * It fits in `maxNameBytes` (the backend's limit: 143 on eCryptfs shares), like the final name: when the
 * name has to be cut, a short hash of the whole final name keeps two long names that differ only at the end
 * apart.
 */
export function tempPathFor(finalPath: string, sha256: string, maxNameBytes: number, owner?: string): string {
  const dir = posix.dirname(finalPath);
  const base = posix.basename(finalPath);
  const suffix = `.${sha256.slice(0, 12)}${owner ? `.${owner}` : ''}${TEMP_SUFFIX}`;
  let name = `.${base}${suffix}`;
  if (Buffer.byteLength(name) > maxNameBytes) {
    const tail = `~${createHash('sha256').update(base).digest('hex').slice(0, 8)}${suffix}`;
    // Cut between characters as a reader sees them (fs-safe's fitBytes, the one cutter).
    name = fitBytes(`.${base}`, Math.max(1, maxNameBytes - Buffer.byteLength(tail))) + tail;
  }
  return dir === '.' ? name : posix.join(dir, name);
}

/** True for names a backend leaves only while a transfer runs. */
export function isTempName(name: string): boolean {
  return name.endsWith(TEMP_SUFFIX);
}

/** Joins a backend's base (root folder or key prefix) with a route's path. */
export function joinRemote(base: string | undefined, path: string): string {
  if (!base) return path;
  return posix.join(base, path.replace(/^\/+/, ''));
}

/**
 * What a message saying `path` is not absolute adds when it starts with `~`: a home folder is not looked up
 * here (no shell reads config/nas-sync.yaml), so `remoteRoots: { audio: ~/Music }` was a relative path, and
 * the message did not say why. Empty for any other path.
 */
export function tildeHint(path: string): string {
  const problem = homeTildeProblem(path, ` in remoteRoots, the backend's root or the route's "to"`);
  return problem === undefined ? '' : ` (${problem})`;
}
