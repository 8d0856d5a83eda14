import { z } from 'zod';
import { syncError } from '../errors.ts';
import type { BackendContext, PutRequest, PutResult, RemoteEntry, SyncBackend } from '../types.ts';
import { runTool, stderrTail, type ToolResult } from '../util/run-tool.ts';
import { tempPathFor } from '../util/remote-path.ts';
import { BackendBaseSchema, checkLocalFile, mismatchError } from './common.ts';

export const RCLONE_BACKEND = 'rclone';

export const RcloneOptionsSchema = BackendBaseSchema.extend({
  type: z.literal(RCLONE_BACKEND),
  remote: z
    .string()
    .regex(/:/, 'an rclone remote such as "nas:" or "nas:music" (the part before the path, with its colon)')
    .describe(
      'A remote configured in rclone (rclone config), optionally with a base path: "nas:" or "gdrive:Music".',
    ),
  configFile: z
    .string()
    .optional()
    .describe("rclone.conf to use. @default rclone's own (~/.config/rclone/rclone.conf)"),
  /** @default true */
  rename: z
    .boolean()
    .default(true)
    .describe(
      'Upload to a temporary name and move it into place (set false for object stores, whose uploads are atomic).',
    ),
  /** @default 'auto' */
  hashMethod: z
    .enum(['auto', 'server', 'read-back'])
    .default('auto')
    .describe(
      "sha256 from the remote (server), by downloading it (read-back), or the remote's when it has one (auto).",
    ),
  flags: z.array(z.string()).default([]).describe('More rclone flags, e.g. ["--sftp-set-modtime=false"].'),
  /** @default 'rclone' */
  rcloneBinary: z.string().default('rclone'),
});
export type RcloneOptions = z.input<typeof RcloneOptionsSchema>;

interface LsjsonEntry {
  Name: string;
  Size: number;
  IsDir: boolean;
  Hashes?: Record<string, string>;
}

const NOT_FOUND = /object not found|directory not found|file not found|not found|doesn't exist|no such file/i;

/** Any remote the user configured in rclone: `rclone copyto` to a temporary name, verify, `rclone moveto`. */
export function createRcloneBackend(input: RcloneOptions, context: BackendContext): SyncBackend {
  const options = RcloneOptionsSchema.parse(input);
  const where = `rclone backend "${context.name}" (${options.remote})`;
  const base = [
    ...(options.configFile ? ['--config', options.configFile] : []),
    // Our own retry policy decides; one rclone attempt per call keeps failures prompt.
    '--retries',
    '1',
    '--low-level-retries',
    '2',
    '--stats',
    '0',
    ...options.flags,
  ];

  const target = (path: string): string =>
    options.remote.endsWith(':') || options.remote.endsWith('/')
      ? `${options.remote}${path}`
      : `${options.remote}/${path.replace(/^\/+/, '')}`;

  function failure(result: ToolResult, action: string): Error {
    const tail = stderrTail(result.stderr);
    const message = `${where}: ${action} failed (exit ${result.exitCode}): ${tail}`;
    const text = result.stderr;
    if (
      /unable to authenticate|Permission denied \(publickey|authentication failed|InvalidAccessKeyId|SignatureDoesNotMatch|401 Unauthorized|invalid_grant|token expired/i.test(
        text,
      )
    )
      return syncError(
        'AUTH_FAILED',
        `${where}: the remote refused the login (check its credentials in rclone config): ${tail}`,
      );
    if (/knownhosts|host key mismatch|key is unknown/i.test(text))
      return syncError('HOST_KEY_REJECTED', `${where}: the server's host key was rejected: ${tail}`);
    if (/AccessDenied|403 Forbidden|permission denied/i.test(text))
      return syncError('PERMISSION_DENIED', message);
    if (
      /didn't find section in config file|unknown backend|unknown flag|Config file .* not found|bad remote name/i.test(
        text,
      )
    )
      return syncError('BACKEND_CONFIG_INVALID', `${message}; check "remote" and rclone config`);
    if (
      /connection refused|no route to host|i\/o timeout|connection reset|broken pipe|dial tcp|couldn't connect|EOF|network is unreachable|no such host/i.test(
        text,
      )
    )
      return syncError('UNREACHABLE', message);
    if (/no space left|quota/i.test(text)) return syncError('REMOTE_FULL', message);
    if (result.exitCode === 7) return syncError('BACKEND_CONFIG_INVALID', message);
    return syncError('TRANSFER_FAILED', message);
  }

  async function rclone(args: string[], action: string, signal?: AbortSignal): Promise<string> {
    const result = await runTool(options.rcloneBinary, [...args, ...base], { signal });
    if (result.exitCode !== 0) throw failure(result, action);
    return result.stdout;
  }

  async function statEntry(
    path: string,
    withHash: boolean,
    signal?: AbortSignal,
  ): Promise<LsjsonEntry | undefined> {
    const args = ['lsjson', '--stat', '--files-only', target(path)];
    if (withHash) args.push('--hash', '--hash-type', 'sha256');
    const result = await runTool(options.rcloneBinary, [...args, ...base], { signal });
    if (result.exitCode !== 0) {
      if (NOT_FOUND.test(result.stderr) && !/connect|refused|authenticate/i.test(result.stderr))
        return undefined;
      throw failure(result, `stat ${path}`);
    }
    // A missing file is `null` (exit 0) with --files-only.
    return (JSON.parse(result.stdout) as LsjsonEntry | null) ?? undefined;
  }

  async function sha256Of(
    path: string,
    signal?: AbortSignal,
    method = options.hashMethod,
  ): Promise<{ sha256: string; by: PutResult['verifiedBy'] }> {
    if (method !== 'read-back') {
      // Remotes without sha256 (SFTP servers without sha256sum, S3) may refuse the hash type: read back then.
      const hash = (await statEntry(path, true, signal).catch(() => undefined))?.Hashes?.sha256;
      if (hash && /^[0-9a-f]{64}$/.test(hash)) return { sha256: hash, by: 'remote-hash' };
      if (method === 'server')
        throw syncError(
          'BACKEND_CONFIG_INVALID',
          `${where}: the remote has no sha256; set hashMethod: read-back`,
        );
    }
    const out = await rclone(['hashsum', 'sha256', '--download', target(path)], `read back ${path}`, signal);
    const hash = /^[0-9a-f]{64}/.exec(out.trim());
    if (!hash) throw syncError('TRANSFER_FAILED', `${where}: rclone printed no sha256 for ${path}`);
    return { sha256: hash[0], by: 'read-back' };
  }

  function bwlimitArgs(): string[] {
    if (!options.bandwidthLimit) return [];
    const perProcess = Math.floor(options.bandwidthLimit / Math.max(1, context.concurrency ?? 1));
    return ['--bwlimit', `${Math.max(1, perProcess)}B`];
  }

  return {
    type: RCLONE_BACKEND,
    name: context.name,

    async put(request: PutRequest): Promise<PutResult> {
      await checkLocalFile(request);
      const final = request.remotePath;
      const upload = options.rename ? tempPathFor(final, request.sha256) : final;
      await rclone(
        ['copyto', request.localPath, target(upload), ...bwlimitArgs()],
        `copy to ${final}`,
        request.signal,
      );
      // One listing gives size and, where the remote has it, sha256; else the file is read back.
      const wantHash = options.verify === 'sha256' && options.hashMethod !== 'read-back';
      const entry =
        (wantHash ? await statEntry(upload, true, request.signal).catch(() => undefined) : undefined) ??
        (await statEntry(upload, false, request.signal));
      const bytes = entry?.Size ?? -1;
      let sha256 = request.sha256;
      let verifiedBy: PutResult['verifiedBy'] = 'size';
      const remoteHash = entry?.Hashes?.sha256;
      if (options.verify === 'sha256' && bytes === request.bytes) {
        if (remoteHash && /^[0-9a-f]{64}$/.test(remoteHash)) {
          sha256 = remoteHash;
          verifiedBy = 'remote-hash';
        } else {
          const found = await sha256Of(
            upload,
            request.signal,
            options.hashMethod === 'auto' ? 'read-back' : options.hashMethod,
          );
          sha256 = found.sha256;
          verifiedBy = found.by;
        }
      }
      if (bytes !== request.bytes || sha256 !== request.sha256) {
        await runTool(options.rcloneBinary, ['deletefile', target(upload), ...base]).catch(() => undefined);
        throw await mismatchError(request, target(final), { bytes, sha256 });
      }
      if (options.rename)
        await rclone(['moveto', target(upload), target(final)], `move into ${final}`, request.signal);
      return { bytes, verifiedBy };
    },

    async stat(remotePath): Promise<RemoteEntry | undefined> {
      const entry = await statEntry(remotePath, false);
      return entry && { bytes: entry.Size };
    },

    hash: async (remotePath) => (await sha256Of(remotePath)).sha256,

    async list(remoteDir) {
      const result = await runTool(options.rcloneBinary, ['lsjson', target(remoteDir), ...base]);
      if (result.exitCode !== 0) {
        if (NOT_FOUND.test(result.stderr) && !/connect|refused|authenticate/i.test(result.stderr)) return [];
        throw failure(result, `list ${remoteDir}`);
      }
      return (JSON.parse(result.stdout) as LsjsonEntry[]).map((entry) => entry.Name);
    },

    async remove(remotePath) {
      const result = await runTool(options.rcloneBinary, ['deletefile', target(remotePath), ...base]);
      if (result.exitCode !== 0 && !NOT_FOUND.test(result.stderr))
        throw failure(result, `remove ${remotePath}`);
    },

    close: () => Promise.resolve(),
  };
}
