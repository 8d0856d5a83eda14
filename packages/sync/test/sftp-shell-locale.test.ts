// The SFTP backend keeps one `sh` on an exec channel of its connection for server-side work (hashes). It ran
// in whatever locale the server gives its sessions, while rsync, ssh and rclone run in the C locale (see
// full-disk-locale.test.ts): what the server's programs said there was translated, and words read from it
// would not match. Every kept shell (createShellOver: rsync's over ssh too) now starts with the C locale.
// A real OpenSSH server whose sessions speak German (sshd's SetEnv, a locale built with localedef).
import { readFile } from 'node:fs/promises';
import { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execShell } from '../src/backends/sftp-session.ts';
import { createShellOver } from '../src/util/remote-shell.ts';
import { germanLocale, tempDir } from './helpers.ts';
import { startSshd, type SshdServer } from './servers/index.ts';

let dir: Awaited<ReturnType<typeof tempDir>>;
let sshd: SshdServer;
beforeAll(async () => {
  dir = await tempDir('imk-sftp-locale-');
  sshd = await startSshd({ env: await germanLocale(dir.path) });
});
afterAll(async () => {
  await sshd?.stop();
  await dir?.remove();
});

async function connect(): Promise<Client> {
  const ssh = new Client();
  const privateKey = await readFile(sshd.clientKey);
  await new Promise<void>((resolve, reject) => {
    ssh.once('ready', resolve).once('error', reject);
    ssh.connect({ host: sshd.host, port: sshd.port, username: 'root', privateKey });
  });
  return ssh;
}

describe("the SFTP session's kept shell, on a server whose sessions speak German", () => {
  it('runs its commands in the C locale: what they say is in English', async () => {
    const ssh = await connect();
    const gone = new AbortController();
    try {
      // The server does speak German to a session's commands (else this proves nothing).
      const german = await new Promise<string>((resolve, reject) =>
        ssh.exec('ls /nothing-here', (err, channel) => {
          if (err) return reject(err);
          let said = '';
          channel.stderr.on('data', (data: Buffer) => (said += data.toString()));
          channel.on('data', () => undefined).once('close', () => resolve(said));
        }),
      );
      expect(german).toMatch(/nicht gefunden/);
      const shell = createShellOver(() => execShell(ssh, gone.signal));
      const said = await shell.run(['ls', '/nothing-here']);
      expect(said.exitCode).not.toBe(0);
      expect(said.stdout).toMatch(/No such file or directory/);
      expect((await shell.run(['sh', '-c', 'echo "$LC_ALL $LANG"'])).stdout.trim()).toBe('C C');
      shell.close();
    } finally {
      gone.abort();
      ssh.end();
    }
  }, 60_000);
});
