import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { fsyncDir, sha256File } from '@imk/fs-safe';
import { isImkError } from '@imk/errors';
import { fromFsError, syncError } from '../errors.ts';
import type { BackendContext, PutRequest, PutResult, RemoteEntry, SyncBackend } from '../types.ts';
import { readSecret } from '../util/secrets.ts';
import { runTool, stderrTail, type ToolResult } from '../util/run-tool.ts';
import { joinRemote, tempPathFor } from '../util/remote-path.ts';
import {
  SshConnectionSchema,
  openSshArgs,
  rsyncEQuote,
  shellQuote,
  sshFailureKind,
} from '../util/ssh-options.ts';
import { BackendBaseSchema, checkLocalFile, mismatchError } from './common.ts';

export const RSYNC_BACKEND = 'rsync';

// Runs on the server: size and sha256 of the temporary copy, then rename into place when both match the
// manifest, else remove it. Prints "<size> <sha256>" and OK or MISMATCH. Arguments: temp target bytes sha256 mode.
const VERIFY_AND_COMMIT = [
  'f=$1; d=$2; want_size=$3; want_hash=$4',
  'size=$(wc -c < "$f" | tr -d " ") || exit 3',
  'if [ "$5" = sha256 ]; then h=$( (sha256sum || shasum -a 256) < "$f" 2>/dev/null) || exit 4; h=${h%% *}; else h=$want_hash; fi',
  'echo "$size $h"',
  'if [ "$size" = "$want_size" ] && [ "$h" = "$want_hash" ]; then mv -f -- "$f" "$d" && echo OK; else rm -f -- "$f"; echo MISMATCH; fi',
].join('\n');

export const RsyncOptionsSchema = BackendBaseSchema.extend(SshConnectionSchema.shape).extend({
  type: z.literal(RSYNC_BACKEND),
  host: z.string().min(1).optional().describe('Server to reach over ssh; absent = a folder on this host.'),
  root: z.string().optional().describe('Folder that route paths are relative to.'),
  /** @default '.imk-partial' */
  partialDir: z
    .string()
    .regex(/^[^/]+$/, 'a folder name (it is created beside each file)')
    .default('.imk-partial')
    .describe(
      "rsync's --partial-dir: an interrupted transfer resumes from here and never sits under the final name.",
    ),
  /** @default false */
  fsync: z.boolean().default(false).describe('Pass --fsync (rsync >= 3.2.4 on both ends).'),
  rsyncPath: z
    .string()
    .optional()
    .describe('Remote rsync program (--rsync-path), e.g. /usr/local/bin/rsync.'),
  extraArgs: z.array(z.string()).default([]).describe('More rsync arguments, e.g. ["--chmod=F644"].'),
  /** @default 'rsync' */
  rsyncBinary: z.string().default('rsync'),
  /** @default 'ssh' */
  sshBinary: z.string().default('ssh'),
});
export type RsyncOptions = z.input<typeof RsyncOptionsSchema>;

/** rsync to a local folder or over ssh, into a temporary name that is verified and then renamed. */
export function createRsyncBackend(input: RsyncOptions, context: BackendContext): SyncBackend {
  const options = RsyncOptionsSchema.parse(input);
  const keyPath =
    options.privateKeyFile === undefined
      ? undefined
      : readSecret(options.privateKeyFile, 'privateKeyFile', context.env);
  const remote = options.host !== undefined;
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

  const pathOf = (remotePath: string): string => {
    const full = joinRemote(options.root, remotePath);
    if (remote) return full;
    if (!isAbsolute(full))
      throw syncError(
        'BACKEND_CONFIG_INVALID',
        `${where}: "${remotePath}" is not an absolute path; set a root`,
      );
    return resolve(full);
  };

  function failure(result: ToolResult, action: string): Error {
    const tail = stderrTail(result.stderr);
    const message = `${where}: ${action} failed (exit ${result.exitCode}): ${tail}`;
    if (remote && (result.exitCode === 255 || /connection unexpectedly closed|ssh/i.test(result.stderr))) {
      switch (sshFailureKind(result.stderr)) {
        case 'auth':
          return syncError(
            'AUTH_FAILED',
            `${where}: the server refused the login (check username and privateKeyFile): ${tail}`,
          );
        case 'host-key':
          return syncError(
            'HOST_KEY_REJECTED',
            `${where}: the server's host key is not the known one (check knownHostsFile): ${tail}`,
          );
        case 'unreachable':
          return syncError('UNREACHABLE', message);
        case 'other':
          break;
      }
    }
    if (/Permission denied|Operation not permitted|Read-only file system/i.test(result.stderr))
      return syncError('PERMISSION_DENIED', message);
    if (/No space left|Disk quota exceeded/i.test(result.stderr)) return syncError('REMOTE_FULL', message);
    // 1 syntax, 2 protocol incompatibility, 4 unsupported action (e.g. --mkpath on an old server).
    if (result.exitCode === 1 || result.exitCode === 2 || result.exitCode === 4)
      return syncError(
        'BACKEND_CONFIG_INVALID',
        `${message}; check extraArgs and the rsync version on both ends (>= 3.2.3)`,
      );
    if ([5, 10, 12, 30, 35, 255].includes(result.exitCode)) return syncError('UNREACHABLE', message);
    return syncError('TRANSFER_FAILED', message);
  }

  /** Runs a command on the server through the remote shell (every word quoted). */
  async function ssh(words: string[], signal?: AbortSignal): Promise<ToolResult> {
    const command = words.map((word) =>
      /^[A-Za-z0-9_./%=-]+$/.test(word) && !word.startsWith('-') ? word : shellQuote(word),
    );
    return runTool(options.sshBinary, [...sshArgs, '--', destination, command.join(' ')], {
      signal,
      sensitive,
    });
  }

  async function sshChecked(words: string[], action: string, signal?: AbortSignal): Promise<string> {
    const result = await ssh(words, signal);
    if (result.exitCode !== 0) throw failure(result, action);
    return result.stdout;
  }

  function rsyncArgs(): string[] {
    const args = ['--partial', `--partial-dir=${options.partialDir}`, '--times'];
    if (options.fsync) args.push('--fsync');
    if (options.bandwidthLimit) {
      const perProcess = options.bandwidthLimit / Math.max(1, context.concurrency ?? 1);
      args.push(`--bwlimit=${Math.max(1, Math.floor(perProcess / 1024))}`);
    }
    if (remote) {
      args.push('--mkpath', '-e', [options.sshBinary, ...sshArgs].map(rsyncEQuote).join(' '));
      if (options.rsyncPath) args.push(`--rsync-path=${options.rsyncPath}`);
    }
    return [...args, ...options.extraArgs];
  }

  async function remoteStat(path: string, signal?: AbortSignal): Promise<RemoteEntry | undefined> {
    const result = await ssh(
      ['sh', '-c', 'if [ -f "$1" ]; then wc -c < "$1"; else echo none; fi', 'stat', path],
      signal,
    );
    if (result.exitCode !== 0) throw failure(result, `stat ${path}`);
    const text = result.stdout.trim();
    return text === 'none' ? undefined : { bytes: Number(text) };
  }

  async function remoteHash(path: string, signal?: AbortSignal): Promise<string> {
    const out = await sshChecked(
      ['sh', '-c', 'sha256sum < "$1" 2>/dev/null || shasum -a 256 < "$1"', 'hash', path],
      `sha256 of ${path}`,
      signal,
    );
    const hash = /^[0-9a-f]{64}/.exec(out.trim());
    if (!hash) throw syncError('TRANSFER_FAILED', `${where}: the server printed no sha256 for ${path}`);
    return hash[0];
  }

  async function putRemote(request: PutRequest, target: string, temp: string): Promise<PutResult> {
    const result = await runTool(
      options.rsyncBinary,
      [...rsyncArgs(), '--', request.localPath, `${destination}:${temp}`],
      { signal: request.signal, sensitive },
    );
    if (result.exitCode !== 0) throw failure(result, `copy to ${target}`);
    // One round trip checks the copy on the server and renames it into place only when it matches.
    const out = await sshChecked(
      [
        'sh',
        '-c',
        VERIFY_AND_COMMIT,
        'verify',
        temp,
        target,
        String(request.bytes),
        request.sha256,
        options.verify,
      ],
      `verify ${target}`,
      request.signal,
    );
    const [facts = '', verdict = ''] = out.trim().split('\n');
    const [size = '-1', sha256 = ''] = facts.split(' ');
    if (verdict !== 'OK') throw await mismatchError(request, target, { bytes: Number(size), sha256 });
    return { bytes: request.bytes, verifiedBy: options.verify === 'sha256' ? 'remote-hash' : 'size' };
  }

  async function putLocal(request: PutRequest, target: string, temp: string): Promise<PutResult> {
    try {
      await mkdir(dirname(target), { recursive: true });
    } catch (error) {
      throw fromFsError(error, target);
    }
    const result = await runTool(options.rsyncBinary, [...rsyncArgs(), '--', request.localPath, temp], {
      signal: request.signal,
    });
    if (result.exitCode !== 0) throw failure(result, `copy to ${target}`);
    try {
      const bytes = (await stat(temp)).size;
      const sha256 = options.verify === 'sha256' ? await sha256File(temp) : request.sha256;
      if (bytes !== request.bytes || sha256 !== request.sha256) {
        await rm(temp, { force: true });
        throw await mismatchError(request, target, { bytes, sha256 });
      }
      await rename(temp, target);
      if (options.fsync) await fsyncDir(dirname(target));
      return { bytes, verifiedBy: options.verify === 'sha256' ? 'read-back' : 'size' };
    } catch (error) {
      throw isImkError(error) ? error : fromFsError(error, target);
    }
  }

  return {
    type: RSYNC_BACKEND,
    name: context.name,

    async put(request) {
      await checkLocalFile(request);
      const target = pathOf(request.remotePath);
      const temp = tempPathFor(target, request.sha256);
      return remote ? putRemote(request, target, temp) : putLocal(request, target, temp);
    },

    async stat(remotePath) {
      const path = pathOf(remotePath);
      if (remote) return remoteStat(path);
      try {
        return { bytes: (await stat(path)).size };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw fromFsError(error, path);
      }
    },

    hash: (remotePath) => (remote ? remoteHash(pathOf(remotePath)) : sha256File(pathOf(remotePath))),

    async list(remoteDir) {
      const path = pathOf(remoteDir);
      if (!remote) return readdir(path).catch(() => []);
      const out = await sshChecked(
        ['sh', '-c', '[ -d "$1" ] && ls -1A -- "$1" || true', 'list', path],
        `list ${path}`,
      );
      return out.split('\n').filter((line) => line !== '');
    },

    async remove(remotePath) {
      const path = pathOf(remotePath);
      if (remote) await sshChecked(['rm', '-f', '--', path], `remove ${path}`);
      else await rm(path, { force: true });
    },

    // Every call is its own ssh connection: nothing stays open.
    close: () => Promise.resolve(),
  };
}
