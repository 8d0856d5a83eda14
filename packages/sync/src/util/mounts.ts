import { readFile, realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { syncError, writerLabel } from '../errors.ts';

/** Where the mount tables are read: env `IMK_SYNC_FSTAB` and `IMK_SYNC_MOUNTINFO` (tests cannot mount). */
export interface MountTables {
  /** @default /etc/fstab */
  fstab: string;
  /** What is mounted now. @default /proc/self/mountinfo */
  mountinfo: string;
}

export function mountTables(env: NodeJS.ProcessEnv = process.env): MountTables {
  return {
    fstab: env.IMK_SYNC_FSTAB || '/etc/fstab',
    mountinfo: env.IMK_SYNC_MOUNTINFO || '/proc/self/mountinfo',
  };
}

// Both tables write a space in a path as \040 (and a tab, newline, backslash likewise).
const unescape = (field: string): string =>
  field.replace(/\\([0-7]{3})/g, (_whole, octal: string) => String.fromCharCode(parseInt(octal, 8)));

/** The absolute mount points /etc/fstab lists (swap and `none` have none); empty when it cannot be read. */
export async function fstabMountPoints(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const points: string[] = [];
  for (const line of text.split('\n')) {
    const fields = line.replace(/#.*/, '').trim().split(/\s+/);
    const point = fields[1] === undefined ? '' : unescape(fields[1]);
    if (point.startsWith('/')) points.push(resolve(point));
  }
  return points;
}

/** The mount points mounted now (field 5 of /proc/self/mountinfo); undefined when it cannot be read. */
export async function mountedPoints(file: string): Promise<Set<string> | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const points = new Set<string>();
  for (const line of text.split('\n')) {
    const point = line.split(' ')[4];
    if (point?.startsWith('/')) points.add(resolve(unescape(point)));
  }
  return points;
}

/** The path with its nearest existing ancestor resolved through links (the rest does not exist yet). */
async function realNearest(path: string): Promise<string> {
  let existing = resolve(path);
  const rest: string[] = [];
  for (;;) {
    try {
      return join(await realpath(existing), ...rest.reverse());
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return resolve(path);
      rest.push(basename(existing));
      existing = parent;
    }
  }
}

const under = (path: string, point: string): boolean =>
  point === sep || path === point || path.startsWith(point + sep);

/**
 * Refuses to write below a mount point that /etc/fstab lists but that is not mounted now: the files would
 * land on this host's own disk, in the empty folder under the share, and vanish from view once the share
 * is mounted again. A path under no fstab entry, or under one that is mounted, passes (a fresh empty share
 * that is mounted is fine). The deepest fstab entry above the path decides; links are followed first.
 * Retried like an unreachable server: delivered once the share is mounted.
 */
export async function assertShareMounted(
  tables: MountTables,
  path: string,
  what: { backend: string; route?: string },
): Promise<void> {
  await createShareCheck(tables).assertMounted(path, what);
}

/**
 * assertShareMounted with both tables read once for as long as the check is kept: a backend keeps one for a
 * pass (the engine closes its backends after each pass, and a backend makes a new check on close), so a pass
 * of many files reads the tables once, and a share mounted later is noticed at the next pass.
 */
export interface ShareCheck {
  assertMounted(path: string, what: { backend: string; route?: string }): Promise<void>;
}

export function createShareCheck(tables: MountTables): ShareCheck {
  let fstabOnce: Promise<string[]> | undefined;
  let mountedOnce: Promise<Set<string> | undefined> | undefined;
  return {
    async assertMounted(path, what) {
      const fstab = await (fstabOnce ??= fstabMountPoints(tables.fstab));
      if (fstab.length === 0) return;
      const real = await realNearest(path);
      const point = fstab.filter((p) => p !== sep && under(real, p)).sort((a, b) => b.length - a.length)[0];
      if (point === undefined) return;
      const mounted = await (mountedOnce ??= mountedPoints(tables.mountinfo));
      if (mounted === undefined || mounted.has(point)) return;
      throw notMounted(tables, point, path, what);
    },
  };
}

function notMounted(
  tables: MountTables,
  point: string,
  path: string,
  what: { backend: string; route?: string },
): Error {
  return syncError(
    'SHARE_NOT_MOUNTED',
    `${writerLabel(what)}: ${point} is listed in ${tables.fstab} but not mounted, so nothing is written to ${path} (it would land on this host's own disk under the empty mount point). Mount it (mount ${point}); the files are sent once it is mounted`,
    { details: { mount_point: point, path } },
  );
}
