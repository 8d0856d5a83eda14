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

// Each SFTP request waits for its answer. With Nagle's algorithm on for the connection (a Node socket's
// default), a request written while the one before was not yet acknowledged waited for the server's delayed
// ACK (40 ms): a put of a small file, about 25 requests, took a second even to a server on this host, and a
// backlog of small files to a NAS went at a second each.
describe('sftp requests to a server on this host', () => {
  it('are not held back by delayed ACKs: 20 puts of a small file take a few seconds, not 20', async () => {
    const dir = await tempDir('imk-sftp-latency-');
    const backend = createSftpBackend(
      sshdSettings(sshd, 'sftp', join(sshd.dataDir, 'sftp')),
      context('sftp-latency'),
    );
    try {
      const data = randomBytes(1000);
      const localPath = join(dir.path, 'a.m4a');
      await writeFile(localPath, data);
      const sha256 = createHash('sha256').update(data).digest('hex');
      await backend.stat('latency'); // connected (a login's cost is not what is timed)
      const started = performance.now();
      for (let i = 0; i < 20; i++)
        await backend.put({ localPath, remotePath: `latency/${i}/a.m4a`, bytes: data.length, sha256 });
      // Before: 20-28 s on a quiet or a loaded machine alike (the delays are timers); now 1-3 s.
      expect(performance.now() - started).toBeLessThan(8000);
      expect(await readServerFile(join(sshd.dataDir, 'sftp', 'latency', '19', 'a.m4a'))).toEqual(data);
    } finally {
      await backend.close();
      await dir.remove();
    }
  });
});
