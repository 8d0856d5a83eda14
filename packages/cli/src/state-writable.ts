import { constants, copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { statePaths } from '@imk/config';
import { ImkError, errorMessage } from '@imk/errors';
import { fileSystemNow } from '@imk/fs-safe';
import './errors.ts';

/**
 * Checks, before any service starts, that this host's `state/` (heartbeats, the ledger, receipts, scratch)
 * can be created and written under the root, so that `imk up` / `imk run` stop at once with the reason
 * rather than announcing the dashboard while every service fails on its own. A missing root or state/ is
 * created, as the services would (a first start), and said (`createdRoot`): a root on a share that is not
 * mounted would otherwise fill this host's disk without a word. A full disk is no reason to stop (the disk
 * guard waits).
 */
export async function checkStateWritable(root: string): Promise<{ createdRoot: boolean }> {
  const { state } = statePaths(root);
  const createdRoot = await stat(root).then(
    () => false,
    (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT',
  );
  try {
    await makeFolders(state);
    // A write there: the private folder the file system's clock is read from, made and removed at once.
    await fileSystemNow(state);
    return { createdRoot };
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code;
    if (errno === 'ENOSPC' || errno === 'EDQUOT') return { createdRoot };
    throw new ImkError('STATE_NOT_WRITABLE', `${state} cannot be written: ${why(errno, error)}`, {
      details: { folder: state },
      cause: error,
    });
  }
}

/** Where prepareRoot says that it created the root (a pino logger fits). */
export interface RootNoticeLogger {
  warn(fields: object, message: string): void;
}

/**
 * checkStateWritable before a command starts services (`imk up`, `imk run`, `imk run --once`), saying a
 * root it created: the one place of that notice, so no way of starting makes a missing root in silence.
 */
export async function prepareRoot(root: string, logger: RootNoticeLogger): Promise<void> {
  if ((await checkStateWritable(root)).createdRoot)
    logger.warn(
      { root },
      `created ${root}, which did not exist: if it should be on a share (a NAS), check that the share is mounted; until it is, everything is written to this host's disk`,
    );
  await seedConfigFolder(root).catch((error: unknown) =>
    logger.warn(
      { root },
      `could not prepare ${join(root, 'config')}: ${errorMessage(error)}; create it to add settings`,
    ),
  );
}

/** The repository's example settings (`config/*.example.yaml`), copied into a new root's config/. */
const EXAMPLES_DIR = fileURLToPath(new URL('../../../config/', import.meta.url));

/**
 * Makes `<root>/config/`, where the README and every service doc tell the user to put their settings, and
 * copies the examples they point at (`config/nas-sync.example.yaml`) into it; a file already there is never
 * replaced (the copy is exclusive), so a user's own settings and edited examples stay as they are.
 */
export async function seedConfigFolder(root: string): Promise<void> {
  const target = join(root, 'config');
  await makeFolders(target);
  const examples = await readdir(EXAMPLES_DIR).catch(() => [] as string[]);
  for (const name of examples.filter((file) => file.endsWith('.example.yaml')))
    await copyFile(join(EXAMPLES_DIR, name), join(target, name), constants.COPYFILE_EXCL).catch(
      (error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      },
    );
}

function why(errno: string | undefined, error: unknown): string {
  switch (errno ?? '') {
    case 'EROFS':
      return 'the file system is read-only; remount it read-write, or point --root (IMK_ROOT) at a writable folder';
    case 'EACCES':
    case 'EPERM':
      return `this user (uid ${process.getuid?.() ?? '?'}) may not write there; give the folder to it (chown), or run as its owner`;
    case 'ENOTDIR':
    case 'EEXIST':
      return 'a file stands where a folder must be; move it aside';
    default:
      return `${errorMessage(error)}; every service keeps its heartbeat and databases in state/`;
  }
}

// Folder by folder from the nearest one that exists: Node's recursive mkdir reports a read-only file
// system (EROFS) or a denied folder as ENOENT, "no such file or directory", which says nothing of the cause.
async function makeFolders(dir: string): Promise<void> {
  try {
    if ((await stat(dir)).isDirectory()) return;
    throw Object.assign(new Error(`${dir} is not a folder`), { code: 'ENOTDIR' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const parent = dirname(dir);
  if (parent !== dir) await makeFolders(parent);
  await mkdir(dir).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  });
}
