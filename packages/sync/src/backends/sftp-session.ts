import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable, Transform } from 'node:stream';
import type SftpClient from 'ssh2-sftp-client';
import type { Client as SshClient, ConnectConfig, SFTPWrapper } from 'ssh2';
import type { Logger } from '@imk/log';
import { syncError } from '../errors.ts';
import type { RemoteEntry } from '../types.ts';
import { createShellOver, type ShellChannel } from '../util/remote-shell.ts';
import { NO_SUCH_FILE, classifySftpError } from './sftp-failure.ts';
import { createSftpWriter } from './sftp-writer.ts';

/** A `sh` on an exec channel of an SSH connection (createShellOver's channel for an SFTP session). */
export function execShell(ssh: SshClient, gone: AbortSignal): Promise<ShellChannel> {
  return new Promise<ShellChannel>((resolve, reject) => {
    if (gone.aborted) return reject(gone.reason as Error);
    ssh.exec('exec sh', (err, channel) => {
      if (err) return reject(err);
      resolve({
        stdin: channel,
        stdout: channel,
        stderr: channel.stderr,
        onExit: (callback) =>
          channel.once('close', (code: unknown) => callback(typeof code === 'number' ? code : 255)),
        kill: () => channel.close(),
      });
    });
  });
}

/** One logged-in SFTP connection and the operations the backend needs, as promises. */
export interface SftpSession {
  client: SftpClient;
  mkdirp(dir: string): Promise<void>;
  /** Streams `stages` (source first) into a new file, fsyncs it when the server offers that, closes it. */
  writeFile(
    path: string,
    stages: (Readable | Transform)[],
    inFlight: number,
    signal?: AbortSignal,
  ): Promise<void>;
  /** Size of what is at `path`, and whether it is a regular file (not a folder, a FIFO, a device). */
  stat(path: string): Promise<(RemoteEntry & { regular: boolean }) | undefined>;
  readStream(path: string): Readable;
  /** sha256 computed by the server (`sha256sum` over an exec channel), or undefined when it cannot run it. */
  commandHash(path: string): Promise<string | undefined>;
  /** Rename over an existing file: posix-rename@openssh.com when offered (atomic), else remove and rename. */
  rename(from: string, to: string): Promise<void>;
  /** Plain SFTP rename, which the server refuses when `to` exists. Returns false then (`from` is kept). */
  renameNoReplace(from: string, to: string): Promise<boolean>;
  remove(path: string): Promise<void>;
  /**
   * Bytes free (for an unprivileged user) and in all on the filesystem holding `path`, by the server's
   * statvfs@openssh.com; undefined when the server does not offer it or cannot say.
   */
  freeSpace(path: string): Promise<{ free: number; total: number } | undefined>;
  list(dir: string): Promise<string[]>;
  /**
   * The first symlink on the way from `root` down to `target` that leads outside root (or nowhere), and
   * where it leads; undefined when there is none (or root does not exist yet: mkdir makes plain folders).
   */
  linkOut(root: string, target: string): Promise<{ link: string; leads?: string } | undefined>;
  /** The file standing where a folder of `target` has to be (the deepest existing folder above it is not one). */
  fileInTheWay(target: string): Promise<string | undefined>;
  /**
   * True when `path` is a symlink to nothing: stat sees nothing there, yet the name is taken (a rename onto
   * it fails with a bare 'Failure'), and it could be made to lead anywhere.
   */
  leadsNowhere(path: string): Promise<boolean>;
  /**
   * What ended, if anything: the SSH connection, or only the SFTP session on it (the server's SFTP process
   * died while the connection stayed up). Its requests fail at once either way.
   */
  ended(): 'connection' | 'sftp' | undefined;
  /**
   * `work` (a library call on this session, such as the client's fastPut), or its rejection as soon as the
   * connection or the SFTP session ends, whichever comes first: ssh2's fastPut, failed by the session's end,
   * closes its file with one more request that is never answered, and waited for ever.
   */
  untilEnded<T>(work: Promise<T>): Promise<T>;
  end(): Promise<void>;
}

export interface OpenSessionOptions {
  where: string;
  logger: Logger;
  connect: ConnectConfig;
  verifyHostKey(key: Buffer): boolean;
  onClose(): void;
}

export async function openSession(options: OpenSessionOptions): Promise<SftpSession> {
  // Lazy: the SSH library loads only when an SFTP backend is used.
  const { default: Client } = await import('ssh2-sftp-client');
  // ssh2 silently drops requests made after the connection died (their callbacks never run), so every
  // request also ends when the connection does.
  const gone = new AbortController();
  let ended: 'connection' | 'sftp' | undefined;
  const lost = () => {
    ended = 'connection';
    gone.abort(Object.assign(new Error('the SSH connection was closed'), { code: 'ECONNRESET' }));
  };
  // The library's default listeners print to stdout; ours go to the backend's logger.
  const client = new Client('imk-sync', {
    error: (err: unknown) => options.logger.debug({ err: (err as Error).message }, 'sftp connection error'),
    end: lost,
    close: lost,
  });
  function untilEnded<T>(work: Promise<T>): Promise<T> {
    // Settled after the end, nothing waits for it any more.
    work.catch(() => undefined);
    return new Promise((resolve, reject) => {
      if (gone.signal.aborted) return reject(gone.signal.reason as Error);
      const onGone = () => reject(gone.signal.reason as Error);
      gone.signal.addEventListener('abort', onGone, { once: true });
      void work.then(resolve, reject).finally(() => gone.signal.removeEventListener('abort', onGone));
    });
  }
  function call<T = void>(run: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
    // No request once the session ended: ssh2 would drop it, its callback never run.
    if (gone.signal.aborted) return Promise.reject(gone.signal.reason as Error);
    return untilEnded(
      new Promise<T>((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value as T)))),
    );
  }
  // Each SFTP request waits for its answer: with Nagle's algorithm on (Node's default for a socket), a small
  // write that follows another still unacknowledged one is held until the server's delayed ACK (40 ms on
  // Linux), and a put of one small file (about 25 requests) took a second even on a LAN.
  const ssh = (client as unknown as { client: SshClient }).client;
  ssh.on('connect', () => ssh.setNoDelay(true));
  let hostKeyRejected = false;
  try {
    const config: ConnectConfig = {
      ...options.connect,
      hostVerifier: (key: Buffer) => {
        const ok = options.verifyHostKey(key);
        if (!ok) hostKeyRejected = true;
        return ok;
      },
    };
    await client.connect(config);
  } catch (error) {
    await client.end().catch(() => undefined);
    if (hostKeyRejected)
      throw syncError(
        'HOST_KEY_REJECTED',
        `${options.where}: the server's host key is not in known_hosts or has changed; add it (ssh-keyscan) or set knownHostsFile`,
      );
    throw classifySftpError(error, options.where);
  }
  client.on('close', () => options.onClose());
  const sftp = (client as unknown as { sftp: SFTPWrapper }).sftp;
  // The SFTP channel can end while the connection stays (the server's SFTP process died): its requests are
  // never answered then either.
  const sftpLost = () => {
    ended ??= 'sftp';
    gone.abort(
      // Said so whether or not the connection follows (a server shutting down closes the session first).
      Object.assign(new Error("the server's SFTP session ended"), { code: 'ECONNRESET' }),
    );
  };
  sftp.once('close', sftpLost);
  sftp.once('end', sftpLost);
  const extensions = (sftp as unknown as { _extensions: Record<string, string> })._extensions ?? {};
  let execWorks: boolean | undefined;

  async function statOrUndefined(
    path: string,
  ): Promise<(RemoteEntry & { dir: boolean; regular: boolean }) | undefined> {
    try {
      const stats = await call<{ size: number; isDirectory(): boolean; isFile(): boolean }>((cb) =>
        sftp.stat(path, cb),
      );
      return { bytes: stats.size, dir: stats.isDirectory(), regular: stats.isFile() };
    } catch (error) {
      if ((error as { code?: unknown }).code === NO_SUCH_FILE) return undefined;
      throw error;
    }
  }

  async function linkOut(
    root: string,
    target: string,
  ): Promise<{ link: string; leads?: string } | undefined> {
    const rel = posix.relative(root, target);
    if (rel === '' || rel.startsWith('..')) return undefined;
    const realRoot = await call<string>((cb) => sftp.realpath(root, cb)).catch(() => undefined);
    if (realRoot === undefined || realRoot === '/') return undefined;
    let path = root.replace(/\/+$/, '');
    for (const part of rel.split('/')) {
      path = `${path}/${part}`;
      let isLink: boolean;
      try {
        isLink = (await call<{ isSymbolicLink(): boolean }>((cb) => sftp.lstat(path, cb))).isSymbolicLink();
      } catch (error) {
        if ((error as { code?: unknown }).code === NO_SUCH_FILE) return undefined;
        throw error;
      }
      if (!isLink) continue;
      // OpenSSH resolves a link whose last part is missing to where it would lead: a link to nothing
      // leads nowhere, as realpath(3) and the local backend say, wherever it points.
      if (!(await statOrUndefined(path))) return { link: path };
      const leads = await call<string>((cb) => sftp.realpath(path, cb)).catch(() => undefined);
      if (leads === undefined || (leads !== realRoot && !leads.startsWith(`${realRoot}/`)))
        return { link: path, ...(leads !== undefined && { leads }) };
    }
    return undefined;
  }

  async function leadsNowhere(path: string): Promise<boolean> {
    try {
      const info = await call<{ isSymbolicLink(): boolean }>((cb) => sftp.lstat(path, cb));
      return info.isSymbolicLink() && (await statOrUndefined(path)) === undefined;
    } catch (error) {
      if ((error as { code?: unknown }).code === NO_SUCH_FILE) return false;
      throw error;
    }
  }

  async function fileInTheWay(target: string): Promise<string | undefined> {
    // The server answers "no such file" below a file too (OpenSSH maps ENOTDIR so), so the walk goes up.
    for (let dir = posix.dirname(target); ; dir = posix.dirname(dir)) {
      const found = await statOrUndefined(dir).catch(() => null);
      if (found === null) return undefined;
      if (found) return found.dir ? undefined : dir;
      if (dir === '/' || dir === '.') return undefined;
    }
  }

  async function mkdirp(dir: string): Promise<void> {
    if (dir === '/' || dir === '.' || dir === '') return;
    const found = await statOrUndefined(dir);
    if (found?.dir) return;
    await mkdirp(posix.dirname(dir));
    try {
      await call((cb) => sftp.mkdir(dir, cb));
    } catch (error) {
      // Another transfer may have created it meanwhile.
      if (!(await statOrUndefined(dir))?.dir) throw error;
    }
  }

  // Server-side hashes go through one `sh` on an exec channel of this connection, kept for the session:
  // one login shell start-up per pass instead of one per file.
  const shell = createShellOver(() => execShell(ssh, gone.signal));
  gone.signal.addEventListener('abort', () => shell.close(), { once: true });

  return {
    client,
    mkdirp,
    linkOut,
    fileInTheWay,
    leadsNowhere,

    async writeFile(path, stages, inFlight, signal) {
      const handle = await call<Buffer>((cb) => sftp.open(path, 'w', cb));
      try {
        const sink = createSftpWriter(sftp, handle, { inFlight });
        const both = signal ? AbortSignal.any([signal, gone.signal]) : gone.signal;
        try {
          await pipeline([...stages, sink], { signal: both });
        } catch (error) {
          throw gone.signal.aborted ? (gone.signal.reason as Error) : error;
        }
        if (extensions['fsync@openssh.com']) await call((cb) => sftp.ext_openssh_fsync(handle, cb));
      } finally {
        await call((cb) => sftp.close(handle, cb)).catch(() => undefined);
      }
    },

    stat: async (path) => {
      const found = await statOrUndefined(path);
      return found && { bytes: found.bytes, regular: found.regular };
    },

    readStream(path) {
      const stream = sftp.createReadStream(path, { highWaterMark: 256 * 1024 });
      const onGone = () => stream.destroy(gone.signal.reason as Error);
      gone.signal.addEventListener('abort', onGone, { once: true });
      stream.once('close', () => gone.signal.removeEventListener('abort', onGone));
      return stream;
    },

    async commandHash(path) {
      if (execWorks === undefined) {
        // A server that forces internal-sftp (or runs no commands) never answers: a short probe finds out.
        const probe = AbortSignal.timeout(5000);
        const answer = await shell.run(['echo', 'imk-ok'], probe);
        execWorks = answer.exitCode === 0 && answer.stdout.trim() === 'imk-ok';
        if (!execWorks) shell.close();
      }
      if (!execWorks) return undefined;
      const result = await shell.run([
        'sh',
        '-c',
        'openssl dgst -sha256 -r < "$1" 2>/dev/null || sha256sum < "$1"',
        'hash',
        path,
      ]);
      const match = /^[0-9a-f]{64}/.exec(result.stdout.trim());
      // No sha256sum on the server: read back from now on.
      if (result.exitCode !== 0 || !match) execWorks = false;
      return match?.[0];
    },

    async rename(from, to) {
      if (extensions['posix-rename@openssh.com']) {
        await call((cb) => sftp.ext_openssh_rename(from, to, cb));
        return;
      }
      // SFTPv3 rename fails when the target exists: remove it first (a short window without the file).
      if (await statOrUndefined(to)) await call((cb) => sftp.unlink(to, cb));
      await call((cb) => sftp.rename(from, to, cb));
    },

    async renameNoReplace(from, to) {
      try {
        await call((cb) => sftp.rename(from, to, cb));
        return true;
      } catch (error) {
        // SSH_FX_FAILURE says little: an existing target is the usual reason (a link to nothing too, which
        // stat does not see); anything else is re-thrown.
        if ((await statOrUndefined(to)) || (await leadsNowhere(to))) return false;
        throw error;
      }
    },

    async remove(path) {
      try {
        await call((cb) => sftp.unlink(path, cb));
      } catch (error) {
        if ((error as { code?: unknown }).code !== NO_SUCH_FILE) throw error;
      }
    },

    async freeSpace(path) {
      if (extensions['statvfs@openssh.com'] !== '2') return undefined;
      try {
        const fs = await call<Record<string, number | bigint>>((cb) => sftp.ext_openssh_statvfs(path, cb));
        const blockBytes = Number(fs.f_frsize ?? fs.f_bsize ?? 0);
        const free = Number(fs.f_bavail ?? 0) * blockBytes;
        const total = Number(fs.f_blocks ?? 0) * blockBytes;
        return total > 0 ? { free, total } : undefined;
      } catch {
        return undefined;
      }
    },

    async list(dir) {
      if (!(await statOrUndefined(dir))?.dir) return [];
      const entries = await call<{ filename: string }[]>((cb) => sftp.readdir(dir, cb));
      return entries.map((entry) => entry.filename).filter((name) => name !== '.' && name !== '..');
    },

    ended: () => ended,
    untilEnded,

    async end() {
      shell.close();
      if (gone.signal.aborted) return;
      // end() waits for a close event; a connection that died may never send one.
      await Promise.race([client.end().catch(() => undefined), sleep(2000)]);
    },
  };
}
