// A write the SFTP server refuses part-way (a full disk or a quota; here a limit on the size of files the
// server may write, which fails the write the same way with the session alive): the transfer fails, and the
// part written is removed. Before, the partial temporary copy stayed on the NAS, taking space on a disk that
// was already full, for good if that content was never sent again (a route changed, the job processed again).
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSftpBackend } from '../src/index.ts';
import { tempDir, testLogger } from './helpers.ts';
import { sshdSettings, startSshd, type SshdServer } from './servers/index.ts';

let sshd: SshdServer;
let dying: SshdServer;
let dir: Awaited<ReturnType<typeof tempDir>>;
// Each assigned as it starts, so that afterAll stops whatever started (also when a test timed out).
beforeAll(async () => {
  await Promise.all([
    startSshd({ maxFileBytes: 100_000 }).then((server) => (sshd = server)),
    startSshd({ maxFileBytes: 100_000, killAtFileLimit: true }).then((server) => (dying = server)),
    tempDir('imk-sftp-full-').then((made) => (dir = made)),
  ]);
});
afterAll(async () => {
  await Promise.all([sshd?.stop(), dying?.stop(), dir?.remove()]);
});

describe('sftp: the server refuses a write part-way (full disk)', () => {
  it('fails the transfer and leaves no partial copy on the server; a file that fits is delivered', async () => {
    const root = join(sshd.dataDir, 'sftp');
    await mkdir(root, { recursive: true });
    const backend = createSftpBackend(sshdSettings(sshd, 'sftp', root), {
      name: 'nas',
      logger: testLogger(),
    });
    const put = async (name: string, bytes: number) => {
      const data = randomBytes(bytes);
      const localPath = join(dir.path, name);
      await writeFile(localPath, data);
      return backend.put({
        localPath,
        remotePath: `Music/${name}`,
        bytes,
        sha256: createHash('sha256').update(data).digest('hex'),
      });
    };
    try {
      // A limit on file size, the disk far from full: not said to be a full disk.
      await expect(put('big.m4a', 300_000)).rejects.toMatchObject({
        code: 'TRANSFER_FAILED',
        message: expect.stringMatching(/copy to .*big\.m4a/),
      });
      expect(await readdir(join(root, 'Music'))).toEqual([]);
      await expect(put('small.m4a', 50_000)).resolves.toMatchObject({ bytes: 50_000 });
      expect(await readdir(join(root, 'Music'))).toEqual(['small.m4a']);
    } finally {
      await backend.close();
    }
  });
});

// The server's SFTP process dies mid-upload while the SSH connection stays (here killed by SIGXFSZ at the
// size limit). Before, ssh2 never answered the requests of the dead channel and the put waited forever,
// holding its transfer slot and the whole pass; now it fails at once and is tried again later.
describe('sftp: the server SFTP process dies mid-upload', () => {
  it('fails the transfer at once instead of waiting forever', async () => {
    const backend = createSftpBackend(sshdSettings(dying, 'sftp', join(dying.dataDir, 'sftp')), {
      name: 'nas',
      logger: testLogger(),
    });
    try {
      const data = randomBytes(300_000);
      const localPath = join(dir.path, 'dies.m4a');
      await writeFile(localPath, data);
      // Not timed: an answer at all is what was missing. Before, the put never settled (the connection
      // stays up and answers keepalives, so nothing else ends it) and this test ran into its own timeout.
      const error = await backend
        .put({
          localPath,
          remotePath: 'Music/dies.m4a',
          bytes: data.length,
          sha256: createHash('sha256').update(data).digest('hex'),
        })
        .then(
          () => undefined,
          (reason: unknown) => reason as { code?: string; message: string },
        );
      expect(error?.message).toMatch(/dies\.m4a|connection/);
    } finally {
      await backend.close();
    }
  }, 30_000);
});

// A real full disk (a 64 KiB tmpfs on the server): SFTP reports the refused write only as "Failure", so the
// user saw TRANSFER_FAILED … Failure. The backend now asks the server's free space (statvfs@openssh.com)
// and says REMOTE_FULL, naming the route, the file and the free space.
describe('sftp: the destination disk is full', () => {
  it('says REMOTE_FULL with the free space, names the route and file, and leaves nothing partial', async () => {
    const root = join(sshd.dataDir, 'full-root');
    const full = join(root, 'Full');
    await mkdir(full, { recursive: true });
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full]);
    const backend = createSftpBackend(sshdSettings(sshd, 'sftp', root), {
      name: 'nas',
      logger: testLogger(),
    });
    try {
      const data = randomBytes(90_000);
      const localPath = join(dir.path, 'full.m4a');
      await writeFile(localPath, data);
      const error = await backend
        .put({
          localPath,
          remotePath: 'Full/Song (instrumental).m4a',
          route: 'music',
          bytes: data.length,
          sha256: createHash('sha256').update(data).digest('hex'),
        })
        .then(
          () => undefined,
          (reason: unknown) => reason as { code?: string; message: string },
        );
      expect(error?.code).toBe('REMOTE_FULL');
      expect(error?.message).toMatch(/route "music"/);
      expect(error?.message).toContain('Full/Song (instrumental).m4a');
      expect(error?.message).toMatch(/\d+(\.\d+)? (B|KiB|kB|KB) free of 64(\.0)? (KiB|kB|KB)/);
      expect(error?.message).toMatch(/Free space on the destination/);
      expect(await readdir(full)).toEqual([]);
    } finally {
      await backend.close();
      await execa('umount', [full]);
    }
  });
});
