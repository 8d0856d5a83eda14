import { lstat, realpath, stat } from 'node:fs/promises';
import { dirname, relative, sep } from 'node:path';
import { isAbsentErrno, notAFolderError, syncError } from '../errors.ts';

const inside = (path: string, root: string): boolean =>
  path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);

/**
 * Refuses a destination whose folders (or file name) below the remote root include a symlink that leads
 * outside that root: a link on the NAS must not make a sync write somewhere else on this host. Checked
 * component by component with lstat, so the message names the link. Links inside the root are fine, and
 * so is a root that is itself a link (a mount point made that way by the user).
 */
export async function assertNoLinkOut(root: string, target: string): Promise<void> {
  const rel = relative(root, target);
  if (rel === '' || rel.startsWith('..')) return;
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    // The root does not exist yet: nothing below it can be a link; mkdir makes plain folders.
    return;
  }
  let path = root;
  for (const part of rel.split(sep)) {
    path = path === sep ? sep + part : path + sep + part;
    let isLink: boolean;
    try {
      isLink = (await lstat(path)).isSymbolicLink();
    } catch {
      return; // absent from here on: mkdir creates plain folders
    }
    if (!isLink) continue;
    const leads = await realpath(path).catch(() => undefined);
    if (leads === undefined || !inside(leads, realRoot)) throw linkOutError(path, leads, root);
  }
}

/**
 * The file (or FIFO, device) standing where a folder of `target` has to be: the deepest folder above the
 * target that exists, when it is not a folder (everything below a file is absent). Links are followed.
 */
export async function fileInTheWay(target: string): Promise<string | undefined> {
  let dir = dirname(target);
  for (;;) {
    try {
      return (await stat(dir)).isDirectory() ? undefined : dir;
    } catch (error) {
      // Unreadable: the copy itself says why.
      if (!isAbsentErrno(error)) return undefined;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Throws PATH_NOT_FOLDER (final) naming the file in the way of `target`'s folders, if any (fileInTheWay). */
export async function assertFoldersOnPath(
  target: string,
  what: { backend: string; route?: string | undefined },
): Promise<void> {
  const file = await fileInTheWay(target);
  if (file !== undefined) throw notAFolderError(file, target, what);
}

/** DESTINATION_UNSAFE for a link below the root that leads out of it (or nowhere), naming the link. */
export function linkOutError(link: string, leads: string | undefined, root: string): Error {
  return syncError(
    'DESTINATION_UNSAFE',
    leads
      ? `${link} is a symlink leading to ${leads}, outside the remote root ${root}; nothing is written through it. Replace the link with a folder, or point the route at the real folder`
      : `${link} is a symlink leading nowhere (what it points to does not exist, so it could be made to lead anywhere, also outside the remote root ${root}); nothing is written through it. Remove the link or make it a real folder, or point the route at the real folder`,
    { details: { link, root } },
  );
}

/**
 * assertNoLinkOut, then assertFoldersOnPath, for a server reached over ssh (rsync): a POSIX sh script,
 * arguments root and the path below it. Prints `OK`; or `FILE` and the file in the way of the target's
 * folders; or `LINK`, the link and where it leads (empty when nowhere); one per line.
 */
export const NO_LINK_OUT_SCRIPT = [
  'root=$1; rel=$2',
  // The deepest folder above the target that exists (links followed, as stat does) must be a folder.
  'ok() { d=${root%/}/$rel; d=${d%/*}',
  '  while [ -n "$d" ] && [ ! -e "$d" ]; do case $d in */*) d=${d%/*};; *) d=;; esac; done',
  '  if [ -n "$d" ] && [ ! -d "$d" ]; then printf \'FILE\n%s\n\' "$d"; else echo OK; fi; exit 0; }',
  'r=$(cd -P -- "$root" 2>/dev/null && pwd -P) || ok',
  '[ "$r" = / ] && ok',
  'set -f; IFS=/; p=${root%/}',
  'for part in $rel; do',
  '  [ -z "$part" ] && continue',
  '  p=$p/$part',
  '  if [ -L "$p" ]; then',
  // A link to nothing leads nowhere, wherever it points (readlink -f resolves a missing last part).
  '    [ -e "$p" ] || { printf \'LINK\n%s\n\n\' "$p"; exit 0; }',
  '    if [ -d "$p" ]; then l=$(cd -P -- "$p" 2>/dev/null && pwd -P); else l=$(readlink -f -- "$p" 2>/dev/null); fi',
  '    case "$l" in "$r"|"$r"/*) ;; *) printf \'LINK\n%s\n%s\n\' "$p" "$l"; exit 0;; esac',
  '  elif [ ! -e "$p" ]; then break; fi',
  'done',
  'ok',
].join('\n');

/** Throws linkOutError when NO_LINK_OUT_SCRIPT's output names a link. */
export function checkNoLinkOutOutput(stdout: string, root: string): void {
  const [verdict, link, leads] = stdout.split('\n');
  if (verdict === 'LINK' && link !== undefined) throw linkOutError(link, leads || undefined, root);
}
