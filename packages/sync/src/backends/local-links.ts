import { lstat, realpath } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { syncError } from '../errors.ts';

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
    if (leads === undefined || !inside(leads, realRoot))
      throw syncError(
        'DESTINATION_UNSAFE',
        `${path} is a symlink leading ${leads ? `to ${leads}, ` : ''}outside the remote root ${root}; nothing is written through it. Replace the link with a folder, or point the route at the real folder`,
        { details: { link: path, root } },
      );
  }
}
