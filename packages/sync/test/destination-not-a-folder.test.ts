import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isImkError } from '@imk/errors';
import {
  createLocalBackend,
  createRcloneBackend,
  createRsyncBackend,
  createSftpBackend,
  isRetryable,
} from '../src/index.ts';
import type { SyncBackend } from '../src/types.ts';
import { tempDir, testLogger } from './helpers.ts';
import {
  sshdSettings,
  startRcloneSftp,
  startSshd,
  type RcloneServers,
  type SshdServer,
} from './servers/index.ts';

// A file where a route needs a folder (`Music/Artist` is a file the user made, a route's `{artist}` now a
// folder): every backend that writes to a file system refuses the copy for good, before writing anything,
// naming the route and the file in the way, and leaves that file alone. It used to be a bare ENOTDIR, EEXIST,
// "Failure" or rclone's "is a file not a directory", retried on every pass on some backends.
let sshd: SshdServer;
let rclone: RcloneServers;
let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  sshd = await startSshd();
  rclone = await startRcloneSftp();
  dir = await tempDir('imk-notdir-');
});
afterAll(async () => {
  await sshd?.stop();
  await rclone?.stop();
  await dir?.remove();
});

const context = (name: string) => ({ name, logger: testLogger() });

/** A backend, and the folder on this machine where a remote path lands (the served folder for rclone serve sftp). */
const backends: [string, () => SyncBackend, ((path: string) => string)?][] = [
  ['local', () => createLocalBackend({ type: 'local' }, context('nas'))],
  ['rsync to a folder on this host', () => createRsyncBackend({ type: 'rsync' }, context('nas'))],
  ['rsync over ssh', () => createRsyncBackend(sshdSettings(sshd, 'rsync'), context('nas'))],
  ['sftp', () => createSftpBackend(sshdSettings(sshd, 'sftp'), context('nas'))],
  [
    'rclone to a local remote',
    () => {
      const configFile = join(dir.path, 'rclone.conf');
      writeFileSync(configFile, '[imklocal]\ntype = local\n');
      return createRcloneBackend({ type: 'rclone', remote: 'imklocal:', configFile }, context('nas'));
    },
  ],
  [
    'rclone to `rclone serve sftp` (another machine)',
    () =>
      createRcloneBackend(
        { type: 'rclone', remote: 'imksftp:', configFile: rclone.configFile },
        context('nas'),
      ),
    (path) => join(rclone.servedDir, path),
  ],
];

describe.each(backends)('%s: a file where the route needs a folder', (label, make, served) => {
  let root: string;
  /** Where a remote path is on this machine. */
  const here = (path: string): string => (served ? served(path) : path);
  let local: { path: string; bytes: number; sha256: string };
  let n = 0;

  beforeEach(async () => {
    const base = served ? `notdir-${n++}` : join(sshd.dataDir, `notdir-${label.replace(/\W+/g, '-')}-${n++}`);
    root = join(base, 'nas', 'audio');
    await mkdir(here(root), { recursive: true });
    const data = randomBytes(3000);
    local = {
      path: join(dir.path, `song-${label.replace(/\W+/g, '-')}-${n}.m4a`),
      bytes: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
    };
    await writeFile(local.path, data);
  });

  const put = async (remotePath: string) => {
    const backend = make();
    try {
      return await backend.put({
        ...local,
        localPath: local.path,
        remotePath,
        remoteRoot: root,
        route: 'karaoke',
      });
    } finally {
      await backend.close();
    }
  };

  it.each([
    ['a folder below the root', ['Artist'], ['Artist', 'Album', 'song.m4a']],
    ['the folder just above the file', ['Artist'], ['Artist', 'song.m4a']],
    // The route's remote root itself cannot be made: `nas` (above `nas/audio`) is a file.
    ['a folder above the remote root', ['..'], ['Artist', 'song.m4a']],
  ])('%s: final, naming the file in the way and the route; the file is kept', async (_case, file, path) => {
    const inTheWay = join(root, ...file);
    await rm(here(inTheWay), { recursive: true, force: true });
    await writeFile(here(inTheWay), 'my notes');
    const error = await put(join(root, ...path)).catch((e: unknown) => e);
    expect(isImkError(error, 'PATH_NOT_FOLDER'), String(error)).toBe(true);
    expect(isRetryable(error), String(error)).toBe(false);
    expect((error as Error).message).toContain(`${inTheWay} is a file, not a folder`);
    expect((error as Error).message).toContain('route "karaoke" (backend "nas")');
    expect(await readFile(here(inTheWay), 'utf8')).toBe('my notes');
  });
});
