import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createRcloneBackend } from '../src/index.ts';
import { readServerFile, testBackend } from './conformance.ts';
import { testLogger } from './helpers.ts';
import { startRcloneSftp, type RcloneServers } from './servers/index.ts';

let servers: RcloneServers;
beforeAll(async () => {
  servers = await startRcloneSftp();
});
afterAll(async () => {
  await servers?.stop();
});

const context = (name: string) => ({ name, logger: testLogger() });

testBackend('rclone to `rclone serve sftp`', () => {
  const common = { type: 'rclone' as const, remote: 'imksftp:', configFile: servers.configFile };
  return Promise.resolve({
    backend: createRcloneBackend(common, context('rclone-sftp')),
    throttled: createRcloneBackend({ ...common, bandwidthLimit: '1M' }, context('slow')),
    base: 'music',
    readRemote: (path: string) => readServerFile(join(servers.servedDir, path)),
    teardown: () => Promise.resolve(),
  });
});
