import { basename, dirname, posix } from 'node:path';
import { isImkError } from '@imk/errors';
import { digestFile } from '@imk/fs-safe';
import { notAFolderError, shareSilentError, syncError, tempGoneError } from '../errors.ts';
import { SYNC_DEFAULTS } from '../defaults.ts';
import type { BackendContext, PutRequest, PutResult, RemoteEntry, SyncBackend } from '../types.ts';
import { tempPathFor } from '../util/remote-path.ts';
import { syncProgram } from '../util/programs.ts';
import {
  checkLocalFile,
  mismatchError,
  notRegularError,
  settleExisting,
  unchangedSinceManifest,
} from './common.ts';
import { destinationSetup, localHelper, type HelperOp } from './local-helper.ts';
import { RcloneCallError, createRcloneDaemon, type StatItem } from './rclone-daemon.ts';
import { localPaths, remoteFeatures } from './rclone-remote.ts';
import { NOT_A_FOLDER, NOT_FOUND, classifyRcloneFailure } from './rclone-failure.ts';
import { fileInTheWay, rcloneAddress, rcloneReadBack } from './rclone-read.ts';
import { RCLONE_BACKEND, RcloneOptionsSchema, type RcloneOptions } from './rclone-options.ts';

export { RCLONE_BACKEND, RcloneOptionsSchema, type RcloneOptions } from './rclone-options.ts';

type Verdict =
  { ok: true; by: PutResult['verifiedBy'] } | { ok: false; found: { bytes?: number; sha256?: string } };

/**
 * Any remote the user configured in rclone. A pass drives one `rclone rcd` (see rclone-daemon.ts): copy to a
 * temporary name, check size and the remote's own hash, move into place.
 */
export function createRcloneBackend(input: RcloneOptions, context: BackendContext): SyncBackend {
  const options = RcloneOptionsSchema.parse(input);
  const where = `rclone backend "${context.name}" (${options.remote})`;
  const config = options.configFile ? ['--config', options.configFile] : [];
  // Our own retry policy decides; one rclone attempt per call keeps failures prompt.
  const common = [...config, '--retries', '1', '--low-level-retries', '2', ...options.flags];
  // One daemon carries every transfer of the backend, so the limit applies to the backend as a whole.
  const bwlimit = options.bandwidthLimit ? ['--bwlimit', `${Math.max(1, options.bandwidthLimit)}B`] : [];
  const rcloneBinary = syncProgram('rclone', options.rcloneBinary, `${where}: rcloneBinary`, context.env);
  // A remote on this host (a mounted share, maybe): a call on a share that stopped answering never returns.
  // rclone's first look at the remote (fsinfo) is watched, and once rclone says the remote is local, each rc
  // call is (no byte moved for shareTimeoutSec: the daemon is killed, UNREACHABLE), and this process's own
  // look at the folder (the checks before a copy, what stands at a path, the read-back) runs in the local
  // backend's helper process with its watchdog (local-helper.ts), which reads the mount tables once per pass.
  const shareTimeoutMs = context.shareTimeoutMs ?? SYNC_DEFAULTS.shareTimeoutSec * 1000;
  const daemon = createRcloneDaemon({
    binary: rcloneBinary,
    flags: [...common, ...bwlimit, '--log-level', 'ERROR'],
    env: context.env,
    watch: {
      silentMs: shareTimeoutMs,
      when: () => features.isLocal(),
      // Named as the folder on this host when rclone said where it is, else as rclone names it.
      error: (folder, since) =>
        shareSilentError(context.name, onThisHost.foldersHere.get(folder) ?? folder, shareTimeoutMs, since),
    },
  });
  const helper = localHelper(context.name, shareTimeoutMs);
  const here = destinationSetup(
    { fsync: false, verify: options.verify, maxNameBytes: options.maxNameBytes },
    context,
  );
  /** Runs `op` in the helper for a path on this host; `path` names its folder in messages. */
  let helperUsed = false;
  const atHere = <T>(op: HelperOp, args: unknown[], path: string, signal?: AbortSignal): Promise<T> => {
    helperUsed = true;
    return helper.call<T>(here, op, args, dirname(path), signal);
  };

  const address = (path: string) => rcloneAddress(options.remote, path);

  async function call<T>(
    path: string,
    body: Record<string, unknown>,
    action: string,
    signal?: AbortSignal,
    watched?: boolean,
  ): Promise<T> {
    try {
      return await daemon.call<T>(path, body, signal, watched);
    } catch (error) {
      if (isImkError(error)) throw error;
      throw classifyRcloneFailure((error as Error).message, action, where);
    }
  }

  const features = remoteFeatures(call, options.remote);
  const onThisHost = localPaths(call, options.remote);
  const localPathOf = onThisHost.pathOf;

  /** The path on this host of a file, when rclone says the remote is a local one (IsLocal). */
  async function pathOnThisHost(path: string, signal?: AbortSignal): Promise<string | undefined> {
    return (await features.get(signal)).local ? localPathOf(path, signal) : undefined;
  }

  async function statItem(
    path: string,
    hashType?: string,
    signal?: AbortSignal,
  ): Promise<StatItem | undefined> {
    await features.get(signal);
    try {
      const answer = await daemon.call<{ item: StatItem | null }>(
        'operations/stat',
        { ...address(path), opt: hashType ? { showHash: true, hashTypes: [hashType] } : {} },
        signal,
      );
      return answer.item ?? undefined;
    } catch (error) {
      if (
        error instanceof RcloneCallError &&
        // A file where a folder of the path should be: nothing is at the path either.
        (NOT_FOUND.test(error.message) || NOT_A_FOLDER.test(error.message)) &&
        !/connect|refused|authenticate/i.test(error.message)
      )
        return undefined;
      if (isImkError(error)) throw error;
      throw classifyRcloneFailure((error as Error).message, `stat ${path}`, where);
    }
  }

  /** sha256 read back through rclone (downloads the file). */
  const readBack = async (path: string, signal?: AbortSignal): Promise<string> =>
    rcloneReadBack(await rcloneBinary(), common, address(path), path, where, signal);

  async function verifyCopy(
    request: PutRequest,
    upload: string,
    native: string | undefined,
    local: Partial<Record<string, string>> | undefined,
    isLocal: boolean,
  ): Promise<Verdict> {
    if (local?.sha256 !== undefined && local.sha256 !== request.sha256)
      return { ok: false, found: { sha256: local.sha256 } };
    const item = await statItem(upload, options.verify === 'sha256' ? native : undefined, request.signal);
    const bytes = item?.Size ?? -1;
    if (bytes !== request.bytes) return { ok: false, found: { bytes } };
    if (options.verify === 'size') return { ok: true, by: 'size' };
    const remote = native ? item?.Hashes?.[native] : undefined;
    if (native && remote) {
      const expected = native === 'sha256' ? request.sha256 : local?.[native];
      return remote === expected
        ? { ok: true, by: 'remote-hash' }
        : { ok: false, found: { sha256: `${native} ${remote}` } };
    }
    if (options.hashMethod === 'server' && !isLocal)
      throw syncError(
        'BACKEND_CONFIG_INVALID',
        `${where}: the remote gives no sha256, md5 or sha1; set hashMethod: read-back`,
      );
    // A local remote is read back here (with the CPU's SHA instructions) rather than through rclone.
    const sha256 = isLocal
      ? await localPathOf(upload, request.signal).then((path) =>
          atHere<string>('hash', [path], path, request.signal),
        )
      : await readBack(upload, request.signal);
    return sha256 === request.sha256 ? { ok: true, by: 'read-back' } : { ok: false, found: { sha256 } };
  }

  async function remoteHash(remotePath: string): Promise<string> {
    const { hash: native, local } = await features.get();
    // A remote on this host: read here, in the helper (a chunk read is its progress), never by an rc call that
    // moves no byte rclone counts while it hashes a large file.
    if (local) {
      const path = await localPathOf(remotePath);
      return atHere<string>('hash', [path], path);
    }
    if (native === 'sha256' && options.hashMethod !== 'read-back') {
      const sha256 = (await statItem(remotePath, 'sha256'))?.Hashes?.sha256;
      if (sha256) return sha256;
    }
    return readBack(remotePath);
  }

  const existingAt = (remotePath: string) => ({
    stat: async () => {
      // A remote on this host: what is there, seen directly (rclone does not list a FIFO or a device, and
      // writing over one never ends). Anything but a regular file is never the same content.
      if ((await features.get()).local) {
        const path = await localPathOf(remotePath);
        const info = await atHere<{ bytes: number; regular: boolean } | undefined>('statKind', [path], path);
        if (info && !info.regular) return { bytes: info.bytes, regular: false };
      }
      const item = await statItem(remotePath);
      return item && { bytes: item.Size, regular: !item.IsDir };
    },
    hash: () => remoteHash(remotePath),
  });

  async function putFile(request: PutRequest): Promise<PutResult> {
    await checkLocalFile(request);
    const remoteFeatures = await features.get(request.signal);
    const final = request.remotePath;
    const where = `${options.remote}${final}`;
    // A remote on this host writes through a link below the route's root as the local backend would:
    // refused the same way. (Other remotes follow their server's rules; see docs/nas-sync.md.)
    // It also refuses, as they do, a folder under an fstab share that is not mounted.
    const target = await pathOnThisHost(final, request.signal);
    if (target !== undefined) {
      // Without a route root, no link check: the target is its own root.
      const root =
        request.remoteRoot === undefined
          ? target
          : dirname(await localPathOf(posix.join(request.remoteRoot, '_'), request.signal));
      await atHere(
        'checkTarget',
        [root, target, { backend: context.name, route: request.route }],
        target,
        request.signal,
      );
    }
    // rclone has no move that refuses an existing name: the check is a look before the copy and again
    // before the move into place (a file written in between by another client is not seen).
    if ((await settleExisting(request, where, existingAt(final))) === 'same')
      return { bytes: request.bytes, verifiedBy: 'remote-hash', alreadyThere: true };
    const rename = options.rename === 'auto' ? remoteFeatures.move : options.rename;
    const upload = rename
      ? tempPathFor(final, request.sha256, options.maxNameBytes, context.tempOwner)
      : final;
    const native =
      options.hashMethod === 'read-back' || remoteFeatures.local ? undefined : remoteFeatures.hash;
    const source = { srcFs: dirname(request.localPath), srcRemote: basename(request.localPath) };
    const destination = address(upload);
    // Our temp gone from its folder, which is there: another process removed it (not a failed copy).
    async function tempGone(): Promise<boolean> {
      if (!rename || (await statItem(upload).catch(() => null)) !== undefined) return false;
      return (await statItem(posix.dirname(upload)).catch(() => undefined))?.IsDir === true;
    }
    const gone = (cause?: unknown) => tempGoneError(`${options.remote}${upload}`, where, cause);
    async function orVanished(cause: unknown): Promise<never> {
      throw (await tempGone()) ? gone(cause) : cause;
    }
    // A copy that fails part-way (a full disk: rclone's local remote leaves the file it could not fill) leaves
    // nothing under our temp name: a full share would stay full. Only the temp is ours to remove.
    const [, local] = await Promise.all([
      // The remote's own hash is compared below, so rclone's check of the same thing is skipped.
      call(
        'operations/copyfile',
        {
          ...source,
          dstFs: destination.fs,
          dstRemote: destination.remote,
          _config: { IgnoreChecksum: true },
        },
        `copy to ${final}`,
        request.signal,
      ),
      // The remote's hash type of the local file and, in the same read, its sha256 against the manifest
      // unless the file has provably not changed since the manifest was written.
      native && native !== 'sha256'
        ? unchangedSinceManifest(request).then((unchanged) =>
            digestFile(request.localPath, unchanged ? [native] : ['sha256', native]),
          )
        : Promise.resolve(undefined),
    ]).catch(async (error: unknown) => {
      const vanished = await tempGone(); // asked before our own clean-up below removes it
      if (rename) await daemon.call('operations/deletefile', destination).catch(() => undefined);
      throw vanished ? gone(error) : error;
    });
    const verdict = await verifyCopy(request, upload, native, local, remoteFeatures.local).catch(orVanished);
    if (!verdict.ok && verdict.found.bytes === -1 && (await tempGone())) throw gone();
    if (!verdict.ok) {
      await daemon.call('operations/deletefile', destination).catch(() => undefined);
      throw await mismatchError(request, `${options.remote}${final}`, verdict.found);
    }
    if (rename) {
      if (
        request.existing !== 'replace' &&
        (await settleExisting(request, where, existingAt(final)).catch(async (error: unknown) => {
          await daemon.call('operations/deletefile', destination).catch(() => undefined);
          throw error;
        })) === 'same'
      ) {
        await daemon.call('operations/deletefile', destination).catch(() => undefined);
        return { bytes: request.bytes, verifiedBy: verdict.by, alreadyThere: true };
      }
      const to = address(final);
      await call(
        'operations/movefile',
        { srcFs: destination.fs, srcRemote: destination.remote, dstFs: to.fs, dstRemote: to.remote },
        `move into ${final}`,
        request.signal,
      ).catch(orVanished);
    }
    return { bytes: request.bytes, verifiedBy: verdict.by };
  }

  return {
    type: RCLONE_BACKEND,
    name: context.name,

    pathOnThisHost,

    async put(request: PutRequest): Promise<PutResult> {
      try {
        return await putFile(request);
      } catch (error) {
        // rclone says "not a directory" without naming which folder is a file: look for it.
        if (!isImkError(error, 'PATH_NOT_FOLDER') || error.details?.path !== undefined) throw error;
        const file = await fileInTheWay(statItem, request.remotePath, request.signal);
        if (file === undefined) throw error;
        throw notAFolderError(`${options.remote}${file}`, `${options.remote}${request.remotePath}`, {
          backend: context.name,
          route: request.route,
        });
      }
    },

    async stat(remotePath): Promise<RemoteEntry | undefined> {
      const item = await statItem(remotePath);
      return item && { bytes: item.Size };
    },

    async hash(remotePath) {
      // Only a regular file is read: a folder would hash as nothing, a FIFO's read never ends.
      if ((await existingAt(remotePath).stat())?.regular === false)
        throw notRegularError(`${options.remote}${remotePath}`);
      return remoteHash(remotePath);
    },

    async list(remoteDir) {
      await features.get();
      try {
        const fs = address(posix.join(remoteDir, 'x')).fs;
        const answer = await daemon.call<{ list: StatItem[] }>('operations/list', { fs, remote: '' });
        return answer.list.map((item) => item.Name);
      } catch (error) {
        if (error instanceof RcloneCallError && NOT_FOUND.test(error.message)) return [];
        throw isImkError(error)
          ? error
          : classifyRcloneFailure((error as Error).message, `list ${remoteDir}`, where);
      }
    },

    async remove(remotePath) {
      await features.get();
      try {
        await daemon.call('operations/deletefile', address(remotePath));
      } catch (error) {
        if (
          error instanceof RcloneCallError &&
          (NOT_FOUND.test(error.message) || NOT_A_FOLDER.test(error.message))
        )
          return;
        throw isImkError(error)
          ? error
          : classifyRcloneFailure((error as Error).message, `remove ${remotePath}`, where);
      }
    },

    // Ends the daemon; the next pass starts a new one.
    close: () => {
      // The end of the pass: the helper reads the mount tables again, and is let go unless used again soon.
      if (helperUsed) helper.endPass();
      helperUsed = false;
      features.reset();
      return daemon.close();
    },
  };
}
