import { randomBytes, createHash } from 'node:crypto';
import { lstat, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isImkError } from '@imk/errors';
import { createLocalBackend, createRsyncBackend } from '../src/index.ts';
import { tempDir, testLogger } from './helpers.ts';

describe('local backend: no writing through links', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let root: string;
  let elsewhere: string;
  let local: { path: string; bytes: number; sha256: string };
  const backend = () => createLocalBackend({ type: 'local' }, { name: 'nas', logger: testLogger() });

  beforeEach(async () => {
    dir = await tempDir('imk-local-links-');
    root = join(dir.path, 'nas', 'audio');
    elsewhere = join(dir.path, 'home', 'user');
    await mkdir(root, { recursive: true });
    await mkdir(elsewhere, { recursive: true });
    const data = randomBytes(2000);
    local = {
      path: join(dir.path, 'song.m4a'),
      bytes: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
    };
    await writeFile(local.path, data);
  });
  afterEach(() => dir.remove());

  const put = (remotePath: string) =>
    backend().put({
      localPath: local.path,
      remotePath,
      remoteRoot: root,
      bytes: local.bytes,
      sha256: local.sha256,
    });

  it('refuses a destination subfolder that is a symlink leading outside the remote root, naming it', async () => {
    await symlink(elsewhere, join(root, 'Instrumental'));
    const error = await put(join(root, 'Instrumental', 'Deep', 'song.m4a')).catch((e: unknown) => e);
    expect(isImkError(error, 'DESTINATION_UNSAFE')).toBe(true);
    expect((error as Error).message).toContain(join(root, 'Instrumental'));
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('refuses a final name that is a symlink leading outside, and writes nothing there', async () => {
    await mkdir(join(root, 'Instrumental'));
    await symlink(join(elsewhere, 'bashrc'), join(root, 'Instrumental', 'song.m4a'));
    const error = await put(join(root, 'Instrumental', 'song.m4a')).catch((e: unknown) => e);
    expect(isImkError(error, 'DESTINATION_UNSAFE')).toBe(true);
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('follows a link that stays inside the remote root, and a root that is itself a link', async () => {
    await mkdir(join(root, 'Real'));
    await symlink(join(root, 'Real'), join(root, 'Alias'));
    await put(join(root, 'Alias', 'song.m4a'));
    expect(await readdir(join(root, 'Real'))).toEqual(['song.m4a']);
    const linkedRoot = join(dir.path, 'mnt-nas');
    await symlink(root, linkedRoot);
    await backend().put({
      localPath: local.path,
      remotePath: join(linkedRoot, 'Other', 'song.m4a'),
      remoteRoot: linkedRoot,
      bytes: local.bytes,
      sha256: local.sha256,
    });
    expect(await readdir(join(root, 'Other'))).toEqual(['song.m4a']);
  });
});

describe.each([
  ['local', 'local', createLocalBackend],
  ['rsync to a folder on this host', 'rsync', createRsyncBackend],
] as const)('%s: a link put under the name while the copy runs', (_label, type, make) => {
  it('is a conflict (a pass then numbers the copy), never "delivered" with nothing there', async () => {
    const dir = await tempDir('imk-local-race-');
    try {
      const root = join(dir.path, 'nas');
      const folder = join(root, 'Instrumental');
      await mkdir(folder, { recursive: true });
      const data = randomBytes(256 * 1024);
      const local = join(dir.path, 'song.m4a');
      await writeFile(local, data);
      const sha256 = createHash('sha256').update(data).digest('hex');
      // About 4 s of copying at 64 KiB/s: time to put a link under the final name once the copy began.
      const slow = make({ type, fsync: false, bandwidthLimit: '64K' } as never, {
        name: 'nas',
        logger: testLogger(),
      });
      const target = join(folder, 'song.m4a');
      const put = slow.put({
        localPath: local,
        remotePath: target,
        remoteRoot: root,
        bytes: data.length,
        sha256,
      });
      // The copy has begun once its temporary name (or rsync's partial folder) is there.
      for (let i = 0; i < 400 && (await readdir(folder)).length === 0; i++) await sleep(10);
      await sleep(300);
      // A link that leads nowhere (inside the root): stat() says "nothing there", link() says "taken".
      await symlink('missing.m4a', target);
      const outcome = await put.then(
        () => 'delivered',
        (error: unknown) => (isImkError(error) ? error.code : String(error)),
      );
      // Delivered would be a lie: the name holds only the link, and the copy would be gone.
      expect(outcome).toBe('CONFLICT');
      expect((await lstat(target)).isSymbolicLink()).toBe(true);
      expect((await readdir(folder)).filter((n) => !n.startsWith('.imk-partial'))).toEqual(['song.m4a']);
    } finally {
      await dir.remove();
    }
  });
});
