import { dirname, isAbsolute, resolve } from 'node:path';
import { syncError } from '../errors.ts';
import { SYNC_DEFAULTS } from '../defaults.ts';
import type { BackendContext, PutRequest, RemoteEntry, SyncBackend } from '../types.ts';
import { readSecret } from '../util/secrets.ts';
import { syncProgram } from '../util/programs.ts';
import { runTool, type ToolResult } from '../util/run-tool.ts';
import { errorFromWire, errorToWire, type WireError } from '../util/error-wire.ts';
import { joinRemote, tempPathFor, tildeHint } from '../util/remote-path.ts';
import { openSshArgs, rsyncEQuote } from '../util/ssh-options.ts';
import { createRemoteShell } from '../util/remote-shell.ts';
import { createSshMaster } from '../util/ssh-master.ts';
import { checkLocalFile } from './common.ts';
import { destinationSetup, localHelper, type HelperOp } from './local-helper.ts';
import { createRsyncRemote } from './rsync-remote.ts';
import { commonFolder, sendBatch, type BatchItem, type BatchOutcome } from './rsync-batch.ts';
import { createRunQueue } from './rsync-runs.ts';
import { classifyRsyncFailure } from './rsync-failure.ts';
import { createPartialSweeper } from './rsync-partials.ts';
import {
  sweepFoldersOneByOne,
  sweepRemoteRsyncLeftovers,
  type RsyncSweep,
  type SweepRsyncLeftoversOptions,
} from './rsync-leftovers.ts';

import { RSYNC_BACKEND, RsyncOptionsSchema, type RsyncOptions } from './rsync-options.ts';

export { RSYNC_BACKEND, RsyncOptionsSchema, type RsyncOptions };

/** A batch outcome as it comes back from the helper process: an error as JSON carries it. */
type WireOutcome = Extract<BatchOutcome, { ok: true }> | { ok: false; error: WireError };

/**
 * The least time a local rsync run may go without output before it counts as stopped, whatever
 * shareTimeoutSec says: rsync prints its progress about once a second.
 */
const RSYNC_MIN_SILENT_MS = 3000;

/** rsync arguments that silence its progress output (a local run's sign of progress): dropped there. */
const SILENCING = new Set(['-q', '--quiet', '--no-progress', '--no-P']);

/** rsync runs copying at once per backend (the checks of earlier batches go on beside them). */
const RSYNC_RUNS = 2;
/**
 * Files one rsync run carries at most. Every run costs a start-up and, over ssh, a channel and the server's
 * login shell; the per-file check and commit on the server take five arguments per file.
 */
export const RSYNC_BATCH_FILES = 64;

// rsync writes each file as `.<name>.XXXXXX` before renaming it to <name> (our temp name): 8 bytes more.
const RSYNC_OWN_TEMP_BYTES = 8;
/**
 * To a local folder, a batch takes no more files once it holds this many bytes: large files go one per run,
 * two runs in parallel (two local rsyncs move about twice what one does). Over ssh every run pays for a
 * channel and the server's login shell, so batches there are by count only.
 */
const LOCAL_BATCH_BYTES = 16 * 1024 * 1024;

/** An rsync backend, which can also sweep what interrupted transfers left in its destination folders. */
export interface RsyncBackend extends SyncBackend {
  /**
   * For `imk cleanup`: removes (or, dry run, lists) the leftovers of interrupted transfers older than
   * `olderThanMs` in the folders of these route paths, here or on the server over ssh (rsync-leftovers.ts).
   * Here it runs in the helper process, watched: a folder on a share that stopped answering is in `problems`
   * (UNREACHABLE, naming it), not waited for.
   */
  sweepLeftovers(
    options: Omit<SweepRsyncLeftoversOptions, 'dirs' | 'partialDir'> & { remoteDirs: Iterable<string> },
  ): Promise<RsyncSweep>;
}

/** rsync to a local folder or over ssh, into a temporary name that is verified and then renamed. */
export function createRsyncBackend(input: RsyncOptions, context: BackendContext): RsyncBackend {
  const options = RsyncOptionsSchema.parse(input);
  const keyPath =
    options.privateKeyFile === undefined
      ? undefined
      : readSecret(options.privateKeyFile, 'privateKeyFile', context.env);
  const remote = options.host !== undefined;
  // To a folder here, the work at the destination (the checks, the rsync run, the check of its copies and their
  // rename, stat, hash, list, remove, the sweep of partials) runs in the local backend's helper process, with
  // its no-progress watchdog (local-helper.ts): a share that stops answering fails this destination for the
  // pass (UNREACHABLE) instead of hanging the pass. It reads the mount tables once per pass.
  const shareTimeoutMs = context.shareTimeoutMs ?? SYNC_DEFAULTS.shareTimeoutSec * 1000;
  const helper = remote ? undefined : localHelper(context.name, shareTimeoutMs);
  const here = destinationSetup(options, context);
  /** Runs `op` in the helper, for a folder here (never called over ssh). */
  const atHere = <T>(
    op: HelperOp,
    args: unknown[],
    folder: string,
    signal?: AbortSignal,
    minSilentMs?: number,
  ): Promise<T> => {
    if (!helper) throw new Error(`${where}: no work at a folder here for a backend over ssh`);
    return helper.call<T>(here, op, args, folder, signal, minSilentMs);
  };
  const sensitive = [keyPath];
  const sshArgs = openSshArgs({
    port: options.port,
    keyPath,
    knownHostsFile: options.knownHostsFile,
    hostKeyCheck: options.hostKeyCheck,
    connectTimeoutSec: options.connectTimeoutSec,
  });
  const destination = options.username ? `${options.username}@${options.host ?? ''}` : (options.host ?? '');
  const where = remote
    ? `rsync backend "${context.name}" (${options.host ?? ''})`
    : `rsync backend "${context.name}"`;
  const rsyncBinary = syncProgram('rsync', options.rsyncBinary, `${where}: rsyncBinary`, context.env);
  const sshBinary = syncProgram('ssh', options.sshBinary, `${where}: sshBinary`, context.env);
  const master = createSshMaster({ sshBinary, sshArgs, destination, sensitive });
  const shell = createRemoteShell({
    sshBinary,
    sshArgs: [...sshArgs, ...master.args, '--', destination],
    sensitive,
  });

  const pathOf = (remotePath: string): string => {
    const full = joinRemote(options.root, remotePath);
    if (remote) return full;
    if (!isAbsolute(full))
      throw syncError(
        'BACKEND_CONFIG_INVALID',
        `${where}: "${remotePath}" is not an absolute path${tildeHint(full)}; set a root`,
      );
    return resolve(full);
  };

  const failure = (result: ToolResult, action: string) => classifyRsyncFailure(result, action, where, remote);

  /** Runs a command on the server, in the shell kept open for the pass. */
  async function ssh(words: string[], signal?: AbortSignal): Promise<ToolResult> {
    // A failed master is no error here: the shell connects by itself and reports its own failure.
    await master.open(signal);
    return shell.run(words, signal);
  }

  async function sshChecked(words: string[], action: string, signal?: AbortSignal): Promise<string> {
    const result = await ssh(words, signal);
    if (result.exitCode !== 0) throw failure(result, action);
    return result.stdout;
  }

  // Runs at once: the backend's own concurrency, if lower (each run also takes a slot of the engine's limit).
  const runs = Math.max(1, Math.min(RSYNC_RUNS, context.concurrency ?? RSYNC_RUNS));

  async function rsyncArgs(): Promise<string[]> {
    const args = [
      '--recursive',
      '--copy-links',
      '--times',
      '--omit-dir-times',
      '--partial',
      `--partial-dir=${options.partialDir}`,
    ];
    if (options.fsync) args.push('--fsync');
    // At most `runs` rsyncs run at once per backend (each carries a batch): they share the limit.
    if (options.bandwidthLimit)
      args.push(`--bwlimit=${Math.max(1, Math.floor(options.bandwidthLimit / runs / 1024))}`);
    if (remote) {
      args.push('--mkpath', '-e', [await sshBinary(), ...sshArgs, ...master.args].map(rsyncEQuote).join(' '));
      if (options.rsyncPath) args.push(`--rsync-path=${options.rsyncPath}`);
    } else {
      // Its output is the helper's sign of progress (a copy to a share that stopped answering prints nothing);
      // rsync's own I/O timeout, past the helper's, ends an rsync left behind when the helper was killed.
      args.push('--progress', '--outbuf=N', `--timeout=${2 * Math.ceil(shareTimeoutMs / 1000)}`);
      // Arguments that silence that output would make a long run look stopped: not passed to a local run.
      return [...args, ...options.extraArgs.filter((arg) => !SILENCING.has(arg))];
    }
    return [...args, ...options.extraArgs];
  }

  /** The route's root on the destination, which no symlink below it may lead out of. */
  function rootOf(request: PutRequest): string {
    if (request.remoteRoot !== undefined) return pathOf(request.remoteRoot);
    return remote ? (options.root ?? '.') : pathOf('/');
  }

  const onServer = createRsyncRemote({ ssh, sshChecked, failure, where, backend: context.name, rootOf });

  // Transfers that become due together go in one rsync run (one connection, one start-up), as many as a
  // run carries; each file is still checked and committed on its own. Two runs copy at once; a run's slot
  // (and its slot of the engine's limit) is free as soon as its copy is over, so batches are checked while
  // the next ones are on their way.
  const partials = createPartialSweeper(options.partialDir, context.tempOwner);
  const queue = createRunQueue({
    runs,
    maxFiles: RSYNC_BATCH_FILES,
    maxBytes: remote ? undefined : LOCAL_BATCH_BYTES,
    slots: context.slots,
    async send(taken, copied) {
      let batch = taken;
      const signals = batch
        .map((entry) => entry.item.request.signal)
        .filter((s): s is AbortSignal => s !== undefined);
      const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
      if (remote) {
        const refused = await master.open(signal);
        if (refused) throw failure(refused, 'connect');
        batch = await onServer.keepInsideRoot(batch, signal);
        if (batch.length === 0) return;
      }
      const outcomes = await sendBatch(
        batch.map((entry) => entry.item),
        {
          remote,
          verify: options.verify,
          fsync: options.fsync,
          rsync: async (source, dest, abort) =>
            remote
              ? runTool(
                  await rsyncBinary(),
                  [...(await rsyncArgs()), '--', source, `${destination}:${dest}`],
                  {
                    signal: abort,
                    sensitive,
                  },
                )
              : atHere<ToolResult>(
                  'rsyncCopy',
                  [
                    await rsyncBinary(),
                    [...(await rsyncArgs()), '--', source, dest],
                    dest.replace(/\/+$/, '') || '/',
                  ],
                  dest.replace(/\/+$/, '') || '/',
                  abort,
                  RSYNC_MIN_SILENT_MS,
                ),
          verifyHere: async (items, copyError, abort) => {
            const sent = items.map(({ request: { signal: _, ...request }, ...item }) => ({
              ...item,
              request,
            }));
            const outcomes = await atHere<WireOutcome[]>(
              'rsyncVerify',
              [sent, { verify: options.verify, fsync: options.fsync }, copyError && errorToWire(copyError)],
              commonFolder(items.map((item) => item.target)),
              abort,
            );
            return outcomes.map((outcome): BatchOutcome =>
              outcome.ok ? outcome : { ok: false, error: errorFromWire(outcome.error) },
            );
          },
          remoteRun: ssh,
          classify: failure,
          onCopied: copied,
        },
        signal,
      );
      outcomes.forEach((outcome, index) => {
        const entry = batch[index];
        if (!entry) return;
        if (outcome.ok) entry.resolve(outcome.result);
        else entry.reject(outcome.error);
      });
    },
  });

  return {
    type: RSYNC_BACKEND,
    name: context.name,
    batch: RSYNC_BATCH_FILES,
    coming: (delta) => queue.coming(delta),

    async put(request) {
      const target = pathOf(request.remotePath);
      const item: BatchItem = {
        request,
        target,
        temp: tempPathFor(
          target,
          request.sha256,
          options.maxNameBytes - RSYNC_OWN_TEMP_BYTES,
          context.tempOwner,
        ),
      };
      try {
        await checkLocalFile(request);
        if (!remote)
          await atHere(
            'checkTarget',
            [rootOf(request), target, { backend: context.name, route: request.route }],
            dirname(target),
            request.signal,
          );
      } catch (error) {
        // Failed before its copy began: whether a stop came before or after the check answered, the
        // partial a next try resumes from is kept (the sweep at the end of the pass used to remove it when
        // the stop won that race).
        partials.untouched(item.temp);
        throw error;
      }
      return queue.put(item).then(
        (result) => (partials.settled(item.temp), result),
        (error: unknown) => {
          partials.settled(item.temp, error);
          throw error;
        },
      );
    },

    pathOnThisHost: (remotePath) => Promise.resolve(remote ? undefined : pathOf(remotePath)),

    async sweepLeftovers({ remoteDirs, ...rest }) {
      if (!remote) {
        // Here, one folder at a time in the helper, watched (rsync-leftovers.ts sweepFoldersOneByOne).
        const folders: string[] = [];
        for (const dir of remoteDirs) {
          try {
            folders.push(pathOf(dir));
          } catch {
            // Not absolute (no root, a relative route): never delivered to, nas-sync says why itself.
          }
        }
        const { olderThanMs, dryRun, now } = rest;
        return sweepFoldersOneByOne(folders, (folder) =>
          atHere<RsyncSweep>(
            'rsyncLeftovers',
            [{ olderThanMs, dryRun, now, dirs: [folder], partialDir: options.partialDir }],
            folder,
          ),
        );
      }
      const dirs = [...remoteDirs].map(pathOf);
      const sweep = { ...rest, dirs, partialDir: options.partialDir };
      // A server that cannot be reached (or runs no sh) is an error of the backend, said as nas-sync says it.
      return sweepRemoteRsyncLeftovers(async (words) => {
        const result = await ssh(words);
        if (result.exitCode !== 0) throw failure(result, 'sweep leftovers');
        return result;
      }, sweep);
    },

    async stat(remotePath) {
      const path = pathOf(remotePath);
      if (remote) return onServer.stat(path);
      return atHere<RemoteEntry | undefined>('stat', [remotePath], dirname(path));
    },

    hash: (remotePath) =>
      remote
        ? onServer.hash(pathOf(remotePath))
        : atHere<string>('hash', [remotePath], dirname(pathOf(remotePath))),

    async list(remoteDir) {
      const path = pathOf(remoteDir);
      if (!remote) return atHere<string[]>('list', [remoteDir], path);
      const out = await sshChecked(
        ['sh', '-c', '[ -d "$1" ] && ls -1A -- "$1" || true', 'list', path],
        `list ${path}`,
      );
      return out.split('\n').filter((line) => line !== '');
    },

    async remove(remotePath) {
      const path = pathOf(remotePath);
      if (remote) await sshChecked(['rm', '-f', '--', path], `remove ${path}`);
      // Already gone, also when a file stands where its folder was (rm -f says nothing then either).
      else await atHere('remove', [remotePath], dirname(path));
    },

    // Ends the shared connection; the next pass opens a new one.
    close: async () => {
      // Partials no transfer of this pass wants are removed (rsync-partials.ts). A server that cannot be
      // reached now keeps them until a later pass writes to that folder again.
      await partials
        .sweep(remote ? (words) => ssh(words) : undefined, (dirs, kept) =>
          atHere('rsyncSweep', [options.partialDir, context.tempOwner, dirs, kept], commonFolder(dirs)),
        )
        .catch((error: unknown) =>
          context.logger.debug({ err: (error as Error).message }, 'rsync: partial copies not swept'),
        );
      // The end of the pass: the helper reads the mount tables again, and is let go unless used again soon.
      helper?.endPass();
      shell.close();
      await master.close();
    },
  };
}
