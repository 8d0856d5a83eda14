import { posix } from 'node:path';

const MAX_NAME_BYTES = 255;

/**
 * The temporary name a backend writes before renaming into place: hidden, beside the final file (so the
 * rename never crosses a filesystem), and the same for the same content, so a retry after a crash
 * overwrites the earlier partial instead of leaving it behind.
 */
export function tempPathFor(finalPath: string, sha256: string): string {
  const dir = posix.dirname(finalPath);
  const base = posix.basename(finalPath);
  const suffix = `.${sha256.slice(0, 12)}.imk-tmp`;
  let head = `.${base}`;
  // Keep the whole name within 255 bytes, cutting on a character boundary.
  while (Buffer.byteLength(head + suffix) > MAX_NAME_BYTES) head = [...head].slice(0, -1).join('');
  return dir === '.' ? head + suffix : posix.join(dir, head + suffix);
}

/** True for names a backend leaves only while a transfer runs. */
export function isTempName(name: string): boolean {
  return name.endsWith('.imk-tmp');
}

/** Joins a backend's base (root folder or key prefix) with a route's path. */
export function joinRemote(base: string | undefined, path: string): string {
  if (!base) return path;
  return posix.join(base, path.replace(/^\/+/, ''));
}
