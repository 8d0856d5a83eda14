import { createReadStream, createWriteStream } from 'node:fs';
import { constants, copyFile, mkdir, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { isImkError } from '@imk/errors';
import { fsyncDir, fsyncFile, listNamesOrEmpty, sha256File } from '@imk/fs-safe';
import { fromFsError, ignoreAbsent, isAbsentErrno, syncError, tempVanished } from '../errors.ts';
import type { BackendContext, PutRequest, PutResult, RemoteEntry, SyncBackend } from '../types.ts';
import { createThrottle, throttledStream } from '../util/bandwidth.ts';
import { joinRemote, tempPathFor } from '../util/remote-path.ts';
import { BackendBaseSchema, mismatchError, settleExisting, withLocalFile } from './common.ts';
import { assertFoldersOnPath, assertNoLinkOut } from './local-links.ts';
import { localExisting, putInPlace } from './local-commit.ts';
import { createShareCheck, mountTables } from '../util/mounts.ts';

export const LOCAL_BACKEND = 'local';

export const LocalOptionsSchema = BackendBaseSchema.extend({
  type: z.literal(LOCAL_BACKEND).describe('A folder on this host or a mounted share (NFS, SMB).'),
  root: z
    .string()
    .optional()
    .describe(
      'Folder that route paths are relative to (a NAS mount, say). @default "/" (route paths are absolute)',
    ),
  fsync: z.boolean().default(true).describe('fsync each file and its folder so a power cut cannot lose it.'),
});
export type LocalOptions = z.input<typeof LocalOptionsSchema>;

/** A folder on this host or a mounted share (NFS, SMB): temp name, fsync, then link (no overwrite) or rename. */
export function createLocalBackend(input: LocalOptions, context: BackendContext): SyncBackend {
  const options = LocalOptionsSchema.parse(input);
  const throttle = options.bandwidthLimit ? createThrottle(options.bandwidthLimit) : undefined;
  const mounts = mountTables(context.env);
  // The mount tables, read once per pass (the engine closes its backends after each pass).
  let shares = createShareCheck(mounts);

  const pathOf = (remotePath: string): string => {
    const full = joinRemote(options.root, remotePath);
    if (!isAbsolute(full))
      throw syncError(
        'BACKEND_CONFIG_INVALID',
        `backend "${context.name}": "${remotePath}" is not an absolute path; give the backend a root or make the route's "to" absolute`,
      );
    return resolve(full);
  };

  /** Copies from `read` (the artifact's checked descriptor, openLocalFile) to `temp`. */
  async function copy(request: PutRequest, read: string, temp: string): Promise<void> {
    if (!throttle) {
      // copyFile uses copy_file_range/reflinks: the kernel moves the bytes without passing through JS.
      await copyFile(read, temp, constants.COPYFILE_FICLONE);
      return;
    }
    await pipeline(
      createReadStream(read, { highWaterMark: 1 << 20 }),
      throttledStream(throttle, request.signal),
      createWriteStream(temp),
      { signal: request.signal },
    );
  }

  /** Sends the artifact, read from `read` (its checked descriptor), to a temp name, then into place. */
  async function putFrom(request: PutRequest, read: string): Promise<PutResult> {
    const target = pathOf(request.remotePath);
    const root = request.remoteRoot ? pathOf(request.remoteRoot) : resolve(options.root ?? '/');
    const existing = localExisting(target);
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
      await copy(request, read, temp);
      if (options.fsync) await fsyncFile(temp);
      const bytes = (await stat(temp)).size;
      const sha256 = options.verify === 'sha256' ? await sha256File(temp) : request.sha256;
      if (bytes !== request.bytes || sha256 !== request.sha256)
        throw await mismatchError(request, target, { bytes, sha256 });
      // Something may have appeared under the name while this copy was made: same content, or a conflict.
      if ((await putInPlace(request, temp, target)) === 'same')
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
    type: LOCAL_BACKEND,
    name: context.name,

    put: (request: PutRequest): Promise<PutResult> =>
      withLocalFile(request, (read) => putFrom(request, read)),

    async stat(remotePath): Promise<RemoteEntry | undefined> {
      try {
        return { bytes: (await stat(pathOf(remotePath))).size };
      } catch (error) {
        if (isAbsentErrno(error)) return undefined;
        throw fromFsError(error, remotePath);
      }
    },

    // Opened the untrusted way: a FIFO or a folder there is refused at once, never read.
    hash: (remotePath) => sha256File(pathOf(remotePath), { untrusted: { followLinks: true } }),

    pathOnThisHost: (remotePath) => Promise.resolve(pathOf(remotePath)),

    async list(remoteDir) {
      try {
        return await listNamesOrEmpty(pathOf(remoteDir));
      } catch (error) {
        throw fromFsError(error, remoteDir);
      }
    },

    // Already gone, also when a file stands where its folder was.
    remove: (remotePath) => rm(pathOf(remotePath), { force: true }).catch(ignoreAbsent),

    close: () => {
      shares = createShareCheck(mounts);
      return Promise.resolve();
    },
  };
}
