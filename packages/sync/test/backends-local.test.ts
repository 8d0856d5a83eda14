import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalBackend, createRcloneBackend, createRsyncBackend } from '../src/index.ts';
import { RCLONE_BURST_BYTES, readServerFile, testBackend } from './conformance.ts';
import { tempDir, testLogger } from './helpers.ts';

const context = (name: string) => ({ name, logger: testLogger() });

testBackend('local folder', async () => {
  const dir = await tempDir('imk-local-dest-');
  return {
    backend: createLocalBackend({ type: 'local' }, context('nas')),
    // A share timeout below the 2 s this limit makes a 2 MiB copy take: the watchdog of the local backend's
    // helper (local-helper.ts) looks for progress, not for a quick copy.
    throttled: createLocalBackend(
      { type: 'local', bandwidthLimit: '1M' },
      { ...context('slow'), shareTimeoutMs: 700 },
    ),
    base: join(dir.path, 'music'),
    readRemote: readServerFile,
    serverPath: (path) => path,
    teardown: dir.remove,
  };
});

testBackend('rsync to a local folder', async () => {
  const dir = await tempDir('imk-rsync-dest-');
  return {
    backend: createRsyncBackend({ type: 'rsync', root: dir.path }, context('rsync')),
    throttled: createRsyncBackend({ type: 'rsync', root: dir.path, bandwidthLimit: '1M' }, context('slow')),
    base: 'music',
    readRemote: (path) => readServerFile(join(dir.path, path)),
    serverPath: (path) => join(dir.path, path),
    teardown: dir.remove,
  };
});

testBackend('rclone to a local remote', async () => {
  const dir = await tempDir('imk-rclone-dest-');
  const configFile = join(dir.path, 'rclone.conf');
  writeFileSync(configFile, '[imklocal]\ntype = local\n');
  const remote = `imklocal:${dir.path}/`;
  return {
    backend: createRcloneBackend({ type: 'rclone', remote, configFile }, context('rclone')),
    throttled: createRcloneBackend(
      { type: 'rclone', remote, configFile, bandwidthLimit: '1M' },
      context('slow'),
    ),
    burstBytes: RCLONE_BURST_BYTES,
    base: 'music',
    readRemote: (path) => readServerFile(join(dir.path, path)),
    serverPath: (path) => join(dir.path, path),
    teardown: dir.remove,
  };
});
