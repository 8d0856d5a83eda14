import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { alive, descendants, freePort, waitForExit, waitForPort } from './processes.ts';

/** A real OpenSSH server on a loopback port, with generated host and user keys. */
export interface SshdServer {
  host: string;
  port: number;
  /** Temp folder holding keys, config and logs (and `data/` for transfers). */
  dir: string;
  /** A folder on the server side to deliver into. */
  dataDir: string;
  /** Private key the server accepts. */
  clientKey: string;
  /** A private key the server does not know. */
  wrongKey: string;
  /** known_hosts with this server's host key. */
  knownHosts: string;
  /** Starts sshd (again) on the same port; does nothing when it runs. */
  start(): Promise<void>;
  /** SIGKILLs sshd and its session processes, as a crash or a pulled cable would end them. */
  kill(): void;
  /** Stops everything and removes the temp folder. */
  stop(): Promise<void>;
}

async function keygen(path: string): Promise<void> {
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'imk-test', '-f', path]);
}

export interface StartSshdOptions {
  /** Allow SFTP only (ForceCommand internal-sftp), as many NAS accounts do. */
  sftpOnly?: boolean;
  /**
   * The largest file its sessions may write (RLIMIT_FSIZE, set with prlimit): a write beyond it fails the way
   * one on a full disk does (SFTP "Failure"), the session alive.
   */
  maxFileBytes?: number;
  /** With maxFileBytes: the session process is killed by SIGXFSZ at the limit instead (a crashing SFTP server). */
  killAtFileLimit?: boolean;
  /**
   * A user quota, as servers that say so report it (SFTP v5+ status codes): OpenSSH's sftp-server runs
   * behind a filter that answers a write reaching past `bytes` of a file with status `status` (15
   * SSH_FX_QUOTA_EXCEEDED, 14 SSH_FX_NO_SPACE_ON_FILESYSTEM) and `message` (may be empty), writing nothing.
   */
  quota?: { bytes: number; status: number; message: string };
  /** More environment for every session (sshd's SetEnv), as a server's own settings give it: its locale. */
  env?: Record<string, string>;
}

// The filter between sshd and OpenSSH's sftp-server for StartSshdOptions.quota: SFTP packets are a uint32
// length and a body whose first byte is the type; SSH_FXP_WRITE (6) is id, handle, uint64 offset, data.
const QUOTA_FILTER = `
import struct, subprocess, sys, threading
limit, status, message = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode()
child = subprocess.Popen(['/usr/lib/openssh/sftp-server'], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
out, lock = sys.stdout.buffer, threading.Lock()
def read_exact(f, n):
    buf = b''
    while len(buf) < n:
        chunk = f.read(n - len(buf))
        if not chunk: return None
        buf += chunk
    return buf
def packet(f):
    head = read_exact(f, 4)
    return None if head is None else (head, read_exact(f, struct.unpack('>I', head)[0]))
def send(data):
    with lock:
        out.write(data); out.flush()
def replies():
    while True:
        got = packet(child.stdout)
        if got is None or got[1] is None: break
        send(got[0] + got[1])
    out.close()
threading.Thread(target=replies, daemon=True).start()
while True:
    got = packet(sys.stdin.buffer)
    if got is None or got[1] is None: break
    head, body = got
    if body[0] == 6:
        n = struct.unpack('>I', body[5:9])[0]
        offset, size = struct.unpack('>QI', body[9 + n:21 + n])
        if offset + size > limit:
            reply = bytes([101]) + body[1:5] + struct.pack('>II', status, len(message)) + message + struct.pack('>I', 0)
            send(struct.pack('>I', len(reply)) + reply)
            continue
    child.stdin.write(head + body); child.stdin.flush()
child.stdin.close(); child.wait()
`;

export async function startSshd(options: StartSshdOptions = {}): Promise<SshdServer> {
  const dir = await mkdtemp(join(tmpdir(), 'imk-sshd-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  const home = join(dir, 'home');
  mkdirSync(home);
  // sshd refuses to start without its privilege-separation folder.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKey = join(dir, 'host_ed25519');
  const clientKey = join(dir, 'client_ed25519');
  const wrongKey = join(dir, 'wrong_ed25519');
  await Promise.all([keygen(hostKey), keygen(clientKey), keygen(wrongKey)]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`));
  const port = await freePort();
  const hostPub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostPub}\n`);
  let subsystem = 'internal-sftp';
  if (options.quota) {
    const { bytes, status, message } = options.quota;
    writeFileSync(join(dir, 'quota-filter.py'), QUOTA_FILTER);
    // One program for the Subsystem line, its arguments quoted for sh (a message may have spaces).
    subsystem = join(dir, 'quota-sftp');
    const args = [join(dir, 'quota-filter.py'), String(bytes), String(status), message];
    writeFileSync(
      subsystem,
      `#!/bin/sh\nexec python3 ${args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ')}\n`,
      {
        mode: 0o755,
      },
    );
  }
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'StrictModes no',
      'UsePAM no',
      'MaxStartups 100:30:200',
      'MaxSessions 50',
      `Subsystem sftp ${subsystem}`,
      // Sessions get a HOME of their own: the login shell then reads no ~/.bashrc of the machine's root
      // account (pyenv's init there cost 0.5 s per command, on every rsync and remote check).
      `SetEnv HOME=${home}${Object.entries(options.env ?? {})
        .map(([name, value]) => ` ${name}=${value}`)
        .join('')}`,
      ...(options.sftpOnly ? ['ForceCommand internal-sftp'] : []),
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );

  let child: ChildProcess | undefined;
  const log = join(dir, 'sshd.log');

  const server: SshdServer = {
    host: '127.0.0.1',
    port,
    dir,
    dataDir,
    clientKey,
    wrongKey,
    knownHosts,
    async start() {
      if (child?.pid && alive(child.pid)) return;
      const sshd = ['/usr/sbin/sshd', '-D', '-e', '-f', config, '-p', String(port), '-E', log];
      // SIGXFSZ ignored (inherited through exec): a write past the limit fails with EFBIG instead of killing
      // the session.
      const limit =
        options.maxFileBytes === undefined
          ? []
          : [
              'sh',
              '-c',
              options.killAtFileLimit ? 'exec "$@"' : 'trap "" XFSZ; exec "$@"',
              'sshd',
              'prlimit',
              `--fsize=${options.maxFileBytes}`,
            ];
      const [program = '', ...args] = [...limit, ...sshd];
      child = spawn(program, args, { stdio: 'ignore' });
      await waitForPort(port, 15_000, /^SSH-2\.0/);
    },
    kill() {
      if (!child?.pid) return;
      // Session processes first (they outlive the listener), then the listener. Programs the sessions run
      // (rsync) are left to notice the dropped connection themselves, as they would after a crash.
      const sessions = descendants(child.pid).filter((p) => p.comm === 'sshd');
      for (const p of [...sessions, { pid: child.pid }])
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      child = undefined;
    },
    async stop() {
      const pid = child?.pid;
      const all = pid ? descendants(pid) : [];
      server.kill();
      for (const p of all) if (alive(p.pid)) process.kill(p.pid, 'SIGKILL');
      if (pid) await waitForExit(pid);
      await rm(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
