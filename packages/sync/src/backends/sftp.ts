import { closeSync, createReadStream, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { posix } from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { SecretRefSchema } from '@imk/config';
import { z } from 'zod';
import { isImkError } from '@imk/errors';
import { REGULAR_FILE_MAX_BYTES, fileReadProblem, openRegularFileSync } from '@imk/fs-safe';
import { notAFolderError, syncError, tempGoneError } from '../errors.ts';
import type { BackendContext, PutRequest, PutResult, SyncBackend } from '../types.ts';
import { createThrottle, throttledStream } from '../util/bandwidth.ts';
import { createHashTap, hashStream } from '../util/hashing.ts';
import { checkHostKey, rememberHostKey } from '../util/known-hosts.ts';
import { joinRemote, tempPathFor } from '../util/remote-path.ts';
import { readOptionalSecret, readSecret } from '../util/secrets.ts';
import { SshConnectionSchema, defaultKnownHosts, sshHomePath } from '../util/ssh-options.ts';
import {
  BackendBaseSchema,
  withLocalFile,
  mismatchError,
  notRegularError,
  settleExisting,
} from './common.ts';
import { linkOutError } from './local-links.ts';
import { classifySftpError, uploadFailure } from './sftp-failure.ts';
import { openSession, type SftpSession } from './sftp-session.ts';

export const SFTP_BACKEND = 'sftp';

export const SftpOptionsSchema = BackendBaseSchema.extend(SshConnectionSchema.shape).extend({
  type: z.literal(SFTP_BACKEND).describe('SFTP over SSH (no program needed on this host).'),
  passphrase: SecretRefSchema.optional().describe('Passphrase of the private key.'),
  password: SecretRefSchema.optional().describe(
    'Password login, when the server allows it (a key is better).',
  ),
  root: z.string().optional().describe('Folder that route paths are relative to. @default the login folder'),
  transfer: z
    .enum(['put', 'fastPut'])
    .default('put')
    .describe(
      'put streams in order (works with every server); fastPut writes chunks in parallel (faster, some servers mishandle it).',
    ),
  requestsInFlight: z
    .number()
    .int()
    .min(1)
    .max(256)
    .default(32)
    .describe('put: write requests outstanding at once (1 waits for each reply; OpenSSH sftp uses 64).'),
  hashMethod: z
    .enum(['auto', 'command', 'read-back'])
    .default('auto')
    .describe(
      "How sha256 is checked: the server's openssl dgst -sha256 or sha256sum over ssh (command), reading the file back, or auto (command when the server allows it).",
    ),
});
export type SftpOptions = z.input<typeof SftpOptionsSchema>;

/** SFTP through ssh2-sftp-client: temp name, fsync when offered, POSIX rename when offered. */
export function createSftpBackend(input: SftpOptions, context: BackendContext): SyncBackend {
  const options = SftpOptionsSchema.parse(input);
  const env = context.env ?? process.env;
  const keyPath =
    options.privateKeyFile === undefined
      ? undefined
      : sshHomePath(readSecret(options.privateKeyFile, 'privateKeyFile', env));
  const passphrase = readOptionalSecret(options.passphrase, 'passphrase', env);
  const password = readOptionalSecret(options.password, 'password', env);
  if (!keyPath && !password)
    throw syncError(
      'BACKEND_CONFIG_INVALID',
      `sftp backend "${context.name}": give privateKeyFile or password`,
    );
  const throttle = options.bandwidthLimit ? createThrottle(options.bandwidthLimit) : undefined;
  const where = `sftp backend "${context.name}" (${options.host}:${options.port})`;
  const knownHosts =
    options.knownHostsFile === undefined ? defaultKnownHosts() : sshHomePath(options.knownHostsFile);
  let session: Promise<SftpSession> | undefined;
  let warnedUnchecked = false;

  function connect(): Promise<SftpSession> {
    if (options.hostKeyCheck === 'off' && !warnedUnchecked) {
      warnedUnchecked = true;
      context.logger.warn({ backend: context.name }, 'sftp host key is not checked (hostKeyCheck: off)');
    }
    let privateKey: Buffer | undefined;
    try {
      privateKey = keyPath ? readKeyFile(keyPath) : undefined;
    } catch (error) {
      throw syncError(
        'SECRET_MISSING',
        `${where}: cannot read the private key file ${keyPath} (${fileReadProblem(error)})`,
      );
    }
    return openSession({
      where,
      logger: context.logger,
      connect: {
        host: options.host,
        port: options.port,
        username: options.username ?? userInfo().username,
        privateKey,
        passphrase,
        password,
        readyTimeout: options.connectTimeoutSec * 1000,
        keepaliveInterval: 10_000,
        keepaliveCountMax: 3,
      },
      verifyHostKey: (key) => {
        if (options.hostKeyCheck === 'off') return true;
        const verdict = checkHostKey(knownHosts, options.host, options.port, key);
        if (verdict === 'match') return true;
        if (verdict === 'unknown' && options.hostKeyCheck === 'accept-new') {
          rememberHostKey(knownHosts, options.host, options.port, key);
          return true;
        }
        return false;
      },
      onClose: () => {
        session = undefined;
      },
    });
  }

  async function getSession(): Promise<SftpSession> {
    session ??= connect();
    try {
      return await session;
    } catch (error) {
      session = undefined;
      throw error;
    }
  }

  /** Runs an operation; a connection-level failure drops the session so the next call reconnects. */
  async function withSession<T>(action: string, run: (s: SftpSession) => Promise<T>): Promise<T> {
    const s = await getSession();
    try {
      return await run(s);
    } catch (error) {
      const classified = isImkError(error) ? error : classifySftpError(error, `${where}: ${action}`);
      // Its connection or its SFTP process is gone: the next call connects again.
      if (classified.code === 'UNREACHABLE' || s.ended() !== undefined) {
        session = undefined;
        await s.end().catch(() => undefined);
      }
      throw classified;
    }
  }

  const pathOf = (remotePath: string): string => joinRemote(options.root, remotePath);

  async function remoteHash(
    s: SftpSession,
    path: string,
  ): Promise<{ sha256: string; by: 'remote-hash' | 'read-back' }> {
    if (options.hashMethod !== 'read-back') {
      const hash = await s.commandHash(path);
      if (hash) return { sha256: hash, by: 'remote-hash' };
      if (options.hashMethod === 'command')
        throw syncError(
          'BACKEND_CONFIG_INVALID',
          `${where}: the server does not run sha256sum; set hashMethod: read-back`,
        );
    }
    const { sha256 } = await hashStream(s.readStream(path));
    return { sha256, by: 'read-back' };
  }

  /** Sends the file; returns the sha256 of the bytes sent (undefined for fastPut, which reads the file itself). */
  async function upload(
    s: SftpSession,
    request: PutRequest,
    read: string,
    temp: string,
  ): Promise<string | undefined> {
    if (options.transfer === 'fastPut' && !throttle) {
      await s.untilEnded(s.client.fastPut(read, temp));
      return undefined;
    }
    const tap = createHashTap();
    const stages: (Readable | Transform)[] = [createReadStream(read, { highWaterMark: 1 << 20 }), tap];
    if (throttle) stages.push(throttledStream(throttle, request.signal));
    await s.writeFile(temp, stages, options.requestsInFlight, request.signal);
    return tap.digest();
  }

  return {
    type: SFTP_BACKEND,
    name: context.name,

    async put(request): Promise<PutResult> {
      return withLocalFile(request, async (read) => {
        const target = pathOf(request.remotePath);
        const temp = tempPathFor(target, request.sha256, options.maxNameBytes, context.tempOwner);
        const root = request.remoteRoot !== undefined ? pathOf(request.remoteRoot) : (options.root ?? '.');
        // A symlink on the server below the route's root that leads out of it is not written through.
        const assertInsideRoot = async (s: SftpSession): Promise<void> => {
          const out = await s.linkOut(root, target);
          if (out) throw linkOutError(out.link, out.leads, root);
          // The file name itself, also where no root is known: a link to nothing there is never written over.
          if (await s.leadsNowhere(target)) throw linkOutError(target, undefined, root);
          const file = await s.fileInTheWay(target);
          if (file !== undefined)
            throw notAFolderError(file, target, { backend: context.name, route: request.route });
        };
        return await withSession(`copy to ${target}`, async (s) => {
          await assertInsideRoot(s);
          const existing = {
            // A link to nothing that appears under the name meanwhile holds it: not a regular file.
            stat: async () =>
              (await s.stat(target)) ??
              ((await s.leadsNowhere(target)) ? { bytes: 0, regular: false } : undefined),
            hash: async () => (await remoteHash(s, target)).sha256,
          };
          if ((await settleExisting(request, target, existing)) === 'same')
            return { bytes: request.bytes, verifiedBy: 'remote-hash', alreadyThere: true };
          await s.mkdirp(posix.dirname(target));
          // mkdir follows a link made meanwhile: look again before writing anything.
          await assertInsideRoot(s);
          let sent: string | undefined;
          try {
            sent = await upload(s, request, read, temp);
          } catch (error) {
            // A write the server refused (a full disk, a quota): the part written is no use to a next try,
            // which writes from the start, and must not stay on a full NAS. Gone with the connection, it is
            // written over by the next try of this content.
            await s.remove(temp).catch(() => undefined);
            throw await uploadFailure(error, { where, backend: context.name, request, target, session: s });
          }
          if (sent !== undefined && sent !== request.sha256) {
            // The local file is not what its manifest says: no need to look at the copy.
            await s.remove(temp);
            throw await mismatchError(request, target, { sha256: sent });
          }
          // Gone from its folder once written: another process removed it (not a bad copy, not a dead server).
          const vanished = async (cause?: unknown) =>
            (await s.stat(temp)) === undefined && (await s.stat(posix.dirname(temp))) !== undefined
              ? tempGoneError(temp, target, cause)
              : undefined;
          const written = await s.stat(temp);
          if (written === undefined)
            throw (await vanished()) ?? (await mismatchError(request, target, { bytes: -1 }));
          const bytes = written.bytes;
          let sha256 = request.sha256;
          let verifiedBy: PutResult['verifiedBy'] = 'size';
          if (options.verify === 'sha256' && bytes === request.bytes) {
            const found = await remoteHash(s, temp);
            sha256 = found.sha256;
            verifiedBy = found.by;
          }
          if (bytes !== request.bytes || sha256 !== request.sha256) {
            await s.remove(temp);
            throw await mismatchError(request, target, { bytes, sha256 });
          }
          let placed = true;
          try {
            if (request.existing === 'replace') await s.rename(temp, target);
            // OpenSSH's server refuses a rename onto an existing name, but servers built on Go's pkg/sftp
            // (SFTPGo, rclone serve sftp) replace it: a look just before keeps a file written there meanwhile.
            else placed = (await s.stat(target)) === undefined && (await s.renameNoReplace(temp, target));
          } catch (error) {
            const gone = await vanished(error).catch(() => undefined);
            if (gone) throw gone;
            // A rename the server refused for another reason leaves no temp behind either.
            await s.remove(temp).catch(() => undefined);
            throw error;
          }
          if (!placed) {
            // Something appeared under the name while this copy was made (seen, or the rename refused it).
            await s.remove(temp);
            if ((await settleExisting(request, target, existing)) === 'same')
              return { bytes, verifiedBy, alreadyThere: true };
          }
          return { bytes, verifiedBy };
        });
      });
    },

    stat: (remotePath) =>
      withSession('stat', async (s) => {
        const found = await s.stat(pathOf(remotePath));
        return found && { bytes: found.bytes };
      }),

    hash: (remotePath) =>
      withSession('hash', async (s) => {
        const path = pathOf(remotePath);
        // Only a regular file is read: a FIFO's read never ends.
        if ((await s.stat(path))?.regular === false) throw notRegularError(path);
        return (await remoteHash(s, path)).sha256;
      }),

    list: (remoteDir) => withSession('list', (s) => s.list(pathOf(remoteDir))),

    remove: (remotePath) => withSession('remove', (s) => s.remove(pathOf(remotePath))),

    async close() {
      const current = session;
      session = undefined;
      if (current) await (await current.catch(() => undefined))?.end().catch(() => undefined);
    },
  };
}

/**
 * The private key file's bytes, once fstat says it is a regular file (fs-safe): a FIFO or a device named
 * as the key would stop the whole process in a synchronous read.
 */
function readKeyFile(file: string): Buffer {
  const { fd } = openRegularFileSync(file, REGULAR_FILE_MAX_BYTES);
  try {
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}
