import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSftpBackend } from '../src/index.ts';
import { tempDir, testLogger } from './helpers.ts';
import { sshdSettings, startSshd, type SshdServer } from './servers/index.ts';

// OpenSSH reads `~/` in a key or known_hosts path as the home folder, so the rsync backend took
// `knownHostsFile: ~/.ssh/known_hosts` (as the docs write its default) and `privateKeyFile: ~/.ssh/id_…`.
// The SFTP backend reads those files itself and took `~` for a folder under the working folder: "the
// server's host key is not in known_hosts" for a server that was in it. It reads them as ssh does now.
let sshd: SshdServer;
let work: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  sshd = await startSshd();
  work = await tempDir('imk-sftp-home-');
});
afterAll(async () => {
  await sshd?.stop();
  await work?.remove();
});

describe('sftp with ~/ in knownHostsFile and privateKeyFile', () => {
  it('reads them in the home folder, as ssh does, and delivers', async () => {
    const home = join(work.path, 'home');
    await mkdir(join(home, '.ssh'), { recursive: true });
    await copyFile(sshd.knownHosts, join(home, '.ssh', 'known_hosts'));
    await copyFile(sshd.clientKey, join(home, '.ssh', 'id_imk'));
    const data = randomBytes(1000);
    const localPath = join(work.path, 'song.m4a');
    await writeFile(localPath, data);
    const was = process.env.HOME;
    process.env.HOME = home;
    const backend = createSftpBackend(
      {
        ...sshdSettings(sshd, 'sftp', join(work.path, 'nas')),
        knownHostsFile: '~/.ssh/known_hosts',
        privateKeyFile: '~/.ssh/id_imk',
      },
      { name: 'nas', logger: testLogger() },
    );
    try {
      await expect(
        backend.put({
          localPath,
          bytes: data.length,
          sha256: createHash('sha256').update(data).digest('hex'),
          remotePath: 'Music/song.m4a',
        }),
      ).resolves.toMatchObject({ bytes: data.length });
      expect(await readFile(join(work.path, 'nas', 'Music', 'song.m4a'))).toEqual(data);
    } finally {
      process.env.HOME = was;
      await backend.close();
    }
  }, 60_000);
});
