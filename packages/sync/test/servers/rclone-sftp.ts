import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { freePort, waitForExit, waitForPort } from './processes.ts';

/**
 * `rclone serve sftp` on a loopback port, plus an rclone.conf with three remotes: `imklocal:` (the local
 * filesystem), `imksftp:` (that SFTP server, key login) and `imksftpwrong:` (the same with a key it refuses).
 */
export interface RcloneServers {
  configFile: string;
  /** The folder the SFTP server serves. */
  servedDir: string;
  port: number;
  stop(): Promise<void>;
}

export async function startRcloneSftp(): Promise<RcloneServers> {
  const dir = await mkdtemp(join(tmpdir(), 'imk-rclone-'));
  const servedDir = join(dir, 'served');
  mkdirSync(servedDir);
  const hostKey = join(dir, 'host_ed25519');
  const clientKey = join(dir, 'client_ed25519');
  const wrongKey = join(dir, 'wrong_ed25519');
  for (const key of [hostKey, clientKey, wrongKey])
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`));
  const port = await freePort();
  const configFile = join(dir, 'rclone.conf');
  writeFileSync(
    configFile,
    [
      '[imklocal]',
      'type = local',
      '',
      '[imksftp]',
      'type = sftp',
      'host = 127.0.0.1',
      `port = ${port}`,
      'user = imk',
      `key_file = ${clientKey}`,
      '',
      '[imksftpwrong]',
      'type = sftp',
      'host = 127.0.0.1',
      `port = ${port}`,
      'user = imk',
      `key_file = ${wrongKey}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    'rclone',
    [
      'serve',
      'sftp',
      servedDir,
      '--addr',
      `127.0.0.1:${port}`,
      '--key',
      hostKey,
      '--authorized-keys',
      join(dir, 'authorized_keys'),
      '--user',
      'imk',
      '--config',
      configFile,
      '--dir-cache-time',
      '0s',
    ],
    { stdio: 'ignore' },
  );
  await waitForPort(port, 15_000, /^SSH-2\.0/);
  return {
    configFile,
    servedDir,
    port,
    async stop() {
      const pid = child.pid;
      child.kill('SIGKILL');
      if (pid) await waitForExit(pid);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
