import { open, mkdir, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isImkError } from '@imk/errors';
import { fsyncDir, listNamesOrEmpty } from '@imk/fs-safe';
import { fromFsError, ignoreAbsent, isAbsentErrno, syncError, tempVanished } from '../errors.ts';
import type { PutRequest, PutResult, RemoteEntry } from '../types.ts';
import { createThrottle, type Throttle } from '../util/bandwidth.ts';
import { createShareCheck, type MountTables } from '../util/mounts.ts';
import { joinRemote, tempPathFor, tildeHint } from '../util/remote-path.ts';
import { mismatchError, settleExisting, withLocalFile } from './common.ts';
import { hashWithProgress, localExisting, putInPlace, type Progress } from './local-commit.ts';
import { assertFoldersOnPath, assertNoLinkOut } from './local-links.ts';

/** The local backend's options once parsed (local.ts LocalOptionsSchema), as its destination work needs them. */
export interface LocalDestinationOptions {
  root?: string | undefined;
  fsync: boolean;
  verify: 'sha256' | 'size';
  maxNameBytes: number;
  bandwidthLimit?: number | undefined;
}

/** Who the destination work is for: the backend's name, the mount tables it checks, its temp owner. */
export interface LocalDestinationContext {
  name: string;
  mounts: MountTables;
  tempOwner?: string | undefined;
}

/** Bytes copied between two reports of progress, and (with fsync) between two data syncs of the copy. */
const CHUNK = 1 << 20;
/**
 * With fsync, the copy's data is synced each time this much more was written: the final fsync then waits for
 * at most this much (a whole file left in the page cache of a slow share could take minutes, with no sign of
 * progress meanwhile).
 */
const SYNC_EVERY = 16 * CHUNK;

/**
 * Everything the local backend does at its destination, with Node's file-system calls: run in a child
 * process (local-worker.ts), because a call on a share that stopped answering never returns and holds one of
 * the process's four file-system threads for good.
 */
/** Where `remotePath` is on this host under the backend's `root`; a path that does not end up absolute is a
 * configuration error naming the backend. */
export function localPathOf(root: string | undefined, remotePath: string, backend: string): string {
  const full = joinRemote(root, remotePath);
  if (!isAbsolute(full))
    throw syncError(
      'BACKEND_CONFIG_INVALID',
      `backend "${backend}": "${remotePath}" is not an absolute path${tildeHint(full)}; give the backend a root or make the route's "to" absolute`,
    );
  return resolve(full);
}

export function createLocalDestination(options: LocalDestinationOptions, context: LocalDestinationContext) {
  const throttle = options.bandwidthLimit ? createThrottle(options.bandwidthLimit) : undefined;
  // The mount tables, read once per pass (the engine closes its backends after each pass).
  let shares = createShareCheck(context.mounts);

  const pathOf = (remotePath: string): string => localPathOf(options.root, remotePath, context.name);

  /** Sends the artifact, read from `read` (its checked descriptor), to a temp name, then into place. */
  async function putFrom(request: PutRequest, read: string, progress: Progress): Promise<PutResult> {
    const target = pathOf(request.remotePath);
    const root = request.remoteRoot ? pathOf(request.remoteRoot) : resolve(options.root ?? '/');
    const existing = localExisting(target, progress);
    const verifiedBy = options.verify === 'sha256' ? 'read-back' : 'size';
    const temp = tempPathFor(target, request.sha256, options.maxNameBytes, context.tempOwner);
    // Set while the temp's folder is known to stay inside the root: only then is the temp removed.
    let tempInsideRoot = false;
    try {
      await shares.assertMounted(target, { backend: context.name, route: request.route });
      await assertNoLinkOut(root, target);
      await assertFoldersOnPath(target, { backend: context.name, route: request.route });
      tempInsideRoot = true;
      if ((await settleExisting(request, target, existing)) === 'same')
        return { bytes: request.bytes, verifiedBy: 'read-back', alreadyThere: true };
      await mkdir(dirname(target), { recursive: true });
      // mkdir follows a link made meanwhile: look again before writing anything.
      tempInsideRoot = false;
      await assertNoLinkOut(root, target);
      tempInsideRoot = true;
      await copy(read, temp, { throttle, fsync: options.fsync, signal: request.signal, progress, target });
      progress();
      const bytes = (await stat(temp)).size;
      const sha256 = options.verify === 'sha256' ? await hashWithProgress(temp, progress) : request.sha256;
      if (bytes !== request.bytes || sha256 !== request.sha256)
        throw await mismatchError(request, target, { bytes, sha256 });
      // Something may have appeared under the name while this copy was made: same content, or a conflict.
      if ((await putInPlace(request, temp, target, progress)) === 'same')
        return { bytes, verifiedBy, alreadyThere: true };
      if (options.fsync) await fsyncDir(dirname(target));
      return { bytes, verifiedBy };
    } catch (error) {
      if (isImkError(error)) throw error;
      throw (tempInsideRoot && (await tempVanished(error, temp, target))) || fromFsError(error, target);
    } finally {
      // On every way out: the temp name is this content's under this name, so whatever is there is ours
      // (a partial copy, or a link to the delivered file left by a crash after link() and before rm()).
      if (tempInsideRoot) await rm(temp, { force: true }).catch(() => undefined);
    }
  }

  return {
    put: (request: PutRequest, progress: Progress = () => undefined): Promise<PutResult> =>
      withLocalFile(request, (read) => putFrom(request, read, progress)),

    async stat(remotePath: string): Promise<RemoteEntry | undefined> {
      try {
        return { bytes: (await stat(pathOf(remotePath))).size };
      } catch (error) {
        if (isAbsentErrno(error)) return undefined;
        throw fromFsError(error, remotePath);
      }
    },

    // Opened the untrusted way: a FIFO or a folder there is refused at once, never read.
    hash: (remotePath: string, progress: Progress = () => undefined): Promise<string> =>
      hashWithProgress(pathOf(remotePath), progress, { untrusted: true }),

    async list(remoteDir: string): Promise<string[]> {
      try {
        return await listNamesOrEmpty(pathOf(remoteDir));
      } catch (error) {
        throw fromFsError(error, remoteDir);
      }
    },

    // Already gone, also when a file stands where its folder was.
    remove: (remotePath: string): Promise<void> =>
      rm(pathOf(remotePath), { force: true }).catch(ignoreAbsent),

    /**
     * The checks before anything is written at `target` for a backend that writes there by other means (rsync
     * to a folder here): its share is mounted, no link below `root` leads out of it, no file stands where a
     * folder of its path must be.
     */
    async checkTarget(
      root: string,
      target: string,
      what: { backend: string; route?: string },
    ): Promise<void> {
      await shares.assertMounted(target, what);
      await assertNoLinkOut(root, target);
      await assertFoldersOnPath(target, what);
    },

    /** The end of a pass: the mount tables are read again for the next. */
    endPass(): void {
      shares = createShareCheck(context.mounts);
    },
  };
}

export type LocalDestination = ReturnType<typeof createLocalDestination>;

/**
 * Copies `read` to `temp` a chunk at a time (held to the backend's throttle), saying `progress` after each;
 * with fsync, the data is synced every SYNC_EVERY bytes and at the end. Under a bandwidth limit a chunk is
 * what the limit lets through in a quarter of a second (at least 4 KiB), so that a slow limit still shows
 * progress several times a second: a chunk of 1 MiB at 64 KiB/s would look like a share that stopped.
 */
async function copy(
  read: string,
  temp: string,
  how: {
    throttle: Throttle | undefined;
    fsync: boolean;
    signal: AbortSignal | undefined;
    progress: Progress;
    target: string;
  },
): Promise<void> {
  const source = await open(read, 'r');
  try {
    const target = await open(temp, 'w');
    try {
      const size = how.throttle
        ? Math.min(CHUNK, Math.max(4096, Math.floor(how.throttle.bytesPerSecond / 4)))
        : CHUNK;
      const buffer = Buffer.allocUnsafe(size);
      let unsynced = 0;
      for (;;) {
        if (how.signal?.aborted) throw syncError('ABORTED', `copy to ${how.target} was stopped`);
        const { bytesRead } = await source.read(buffer, 0, size, null);
        if (bytesRead === 0) break;
        await how.throttle?.take(bytesRead, how.signal);
        for (let at = 0; at < bytesRead;) at += (await target.write(buffer, at, bytesRead - at)).bytesWritten;
        unsynced += bytesRead;
        how.progress();
        if (how.fsync && unsynced >= SYNC_EVERY) {
          await target.datasync();
          unsynced = 0;
          how.progress();
        }
      }
      if (how.fsync) await target.sync();
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}
