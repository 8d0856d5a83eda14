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
      // A limit on file size, the disk far from full: not said to be a full disk, and said as what it is (a
      // bare "Failure" with room left) rather than only "copy to …: Failure".
      await expect(put('big.m4a', 300_000)).rejects.toMatchObject({
        code: 'TRANSFER_FAILED',
        message: expect.stringMatching(/copy to .*big\.m4a/),
      });
      const refused = await put('big.m4a', 300_000).then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      expect(refused?.message).toMatch(
        /sftp backend "nas" \(127\.0\.0\.1:\d+\): copy to .*\/Music\/big\.m4a: /,
      );
      expect(refused?.message).toMatch(
        /the server refused a write with a bare SFTP "Failure" \(status 4\), and its disk is not full \(.* free of .*\): a limit on the size of files/,
      );
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
// OpenSSH's sftp-server first answers the write that crosses the limit (written short) with a bare
// "Failure", then dies at the next; the upload met either first (a race), and the user read "copy to …:
// Failure" (fastPut, with the artifact as /proc/self/fd/N) or "the SSH connection was closed" (put; the
// connection was up, and the whole destination was skipped for the pass as unreachable). Now both say that
// the server's SFTP process ended, name the file, and the next put connects again.
describe.each(['put', 'fastPut'] as const)(
  'sftp (%s): the server SFTP process dies mid-upload',
  (transfer) => {
    it('fails the transfer at once, saying the SFTP process ended, and the next file is delivered', async () => {
      const backend = createSftpBackend(
        { ...sshdSettings(dying, 'sftp', join(dying.dataDir, 'sftp')), transfer },
        { name: 'nas', logger: testLogger() },
      );
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
        expect(error?.code).toBe('TRANSFER_FAILED');
        expect(error?.message).toMatch(
          /^sftp backend "nas" \(127\.0\.0\.1:\d+\): copy to .*\/Music\/dies\.m4a: the server's SFTP process ended during the upload while the SSH connection stayed up: it crashed or was killed/,
        );
        expect(error?.message).not.toMatch(/\/proc\/self\/fd/);
        // The session whose SFTP process died is not used again: a file within the limit goes through.
        const small = randomBytes(20_000);
        const smallPath = join(dir.path, `small-${transfer}.m4a`);
        await writeFile(smallPath, small);
        await expect(
          backend.put({
            localPath: smallPath,
            remotePath: `Music/small-${transfer}.m4a`,
            bytes: small.length,
            sha256: createHash('sha256').update(small).digest('hex'),
          }),
        ).resolves.toMatchObject({ bytes: small.length });
      } finally {
        await backend.close();
      }
    }, 30_000);
  },
);

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
