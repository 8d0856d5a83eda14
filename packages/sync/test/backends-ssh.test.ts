import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createRsyncBackend, createSftpBackend } from '../src/index.ts';
import { readServerFile, testBackend } from './conformance.ts';
import { testLogger } from './helpers.ts';
import { startSshd, type SshdServer } from './servers/index.ts';

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
  const common = {
    type: 'rsync' as const,
    host: sshd.host,
    port: sshd.port,
    username: 'root',
    privateKeyFile: sshd.clientKey,
    knownHostsFile: sshd.knownHosts,
    root: join(sshd.dataDir, 'rsync'),
  };
  return Promise.resolve({
    backend: createRsyncBackend(common, context('nas-rsync')),
    throttled: createRsyncBackend({ ...common, bandwidthLimit: '1M' }, context('slow')),
    base: 'music',
    readRemote: (path: string) => readServerFile(join(sshd.dataDir, 'rsync', path)),
    teardown: () => Promise.resolve(),
  });
});

testBackend('sftp (ssh2-sftp-client, put)', () => {
  const common = {
    type: 'sftp' as const,
    host: sshd.host,
    port: sshd.port,
    username: 'root',
    privateKeyFile: sshd.clientKey,
    knownHostsFile: sshd.knownHosts,
    root: join(sshd.dataDir, 'sftp'),
  };
  return Promise.resolve({
    backend: createSftpBackend(common, context('nas-sftp')),
    throttled: createSftpBackend({ ...common, bandwidthLimit: '1M' }, context('slow')),
    base: 'music',
    readRemote: (path: string) => readServerFile(join(sshd.dataDir, 'sftp', path)),
    teardown: () => Promise.resolve(),
  });
});
