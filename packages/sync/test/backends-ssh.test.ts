import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRsyncBackend, createSftpBackend } from '../src/index.ts';
import { readServerFile, testBackend } from './conformance.ts';
import { tempDir, testLogger } from './helpers.ts';
import { sshdSettings, startSshd, type SshdServer } from './servers/index.ts';

// One real OpenSSH server for both SSH-based backends.
let sshd: SshdServer;
beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
});

const context = (name: string) => ({ name, logger: testLogger() });

testBackend('rsync over ssh', () => {
  const common = sshdSettings(sshd, 'rsync', join(sshd.dataDir, 'rsync'));
  return Promise.resolve({
    backend: createRsyncBackend(common, context('nas-rsync')),
    throttled: createRsyncBackend({ ...common, bandwidthLimit: '1M' }, context('slow')),
    base: 'music',
    readRemote: (path: string) => readServerFile(join(sshd.dataDir, 'rsync', path)),
    serverPath: (path: string) => join(sshd.dataDir, 'rsync', path),
    teardown: () => Promise.resolve(),
  });
});

testBackend('sftp (ssh2-sftp-client, put)', () => {
  const common = sshdSettings(sshd, 'sftp', join(sshd.dataDir, 'sftp'));
  return Promise.resolve({
    backend: createSftpBackend(common, context('nas-sftp')),
    throttled: createSftpBackend({ ...common, bandwidthLimit: '1M' }, context('slow')),
    base: 'music',
    readRemote: (path: string) => readServerFile(join(sshd.dataDir, 'sftp', path)),
    serverPath: (path: string) => join(sshd.dataDir, 'sftp', path),
    teardown: () => Promise.resolve(),
  });
});

describe('sftp against an SFTP-only account (ForceCommand internal-sftp)', () => {
  it('cannot run sha256sum there, so it verifies by reading the copy back', async () => {
    const only = await startSshd({ sftpOnly: true });
    const dir = await tempDir('imk-sftp-only-');
    try {
      const data = randomBytes(200_000);
      const localPath = join(dir.path, 'a.m4a');
      await writeFile(localPath, data);
      const backend = createSftpBackend(sshdSettings(only, 'sftp'), context('sftp-only'));
      const sha256 = createHash('sha256').update(data).digest('hex');
      const result = await backend.put({
        localPath,
        remotePath: join(only.dataDir, 'a.m4a'),
        bytes: data.length,
        sha256,
      });
      await backend.close();
      expect(result).toEqual({ bytes: data.length, verifiedBy: 'read-back' });
      expect(
        createHash('sha256')
          .update(await readFile(join(only.dataDir, 'a.m4a')))
          .digest('hex'),
      ).toBe(sha256);
    } finally {
      await dir.remove();
      await only.stop();
    }
  });
});
