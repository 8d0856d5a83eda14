import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isImkError } from '@imk/errors';
import {
  createLocalBackend,
  createRcloneBackend,
  createRsyncBackend,
  createSftpBackend,
} from '../src/index.ts';
import type { SyncBackend } from '../src/types.ts';
import { tempDir, testLogger } from './helpers.ts';
import { sshdSettings, startSshd, type SshdServer } from './servers/index.ts';

// A folder symlink at the destination that leads outside the route's root must not carry a sync
// somewhere else (a link on the NAS pointing at /etc, at a home folder): every backend that writes to a
// filesystem refuses it, naming the link, and writes nothing there. Links that stay inside are fine.
let sshd: SshdServer;
let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  sshd = await startSshd();
  dir = await tempDir('imk-links-');
});
afterAll(async () => {
  await sshd?.stop();
  await dir?.remove();
});

const context = (name: string) => ({ name, logger: testLogger() });

const backends: [string, () => SyncBackend][] = [
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
];

describe.each(backends)('%s: no writing through a link that leads outside the root', (_label, make) => {
  let root: string;
  let elsewhere: string;
  let local: { path: string; bytes: number; sha256: string };
  let n = 0;

  beforeEach(async () => {
    const base = join(sshd.dataDir, `case-${_label.replace(/\W+/g, '-')}-${n++}`);
    root = join(base, 'nas', 'audio');
    elsewhere = join(base, 'home', 'user');
    await mkdir(root, { recursive: true });
    await mkdir(elsewhere, { recursive: true });
    const data = randomBytes(3000);
    local = {
      path: join(dir.path, `song-${n}.m4a`),
      bytes: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
    };
    await writeFile(local.path, data);
  });

  const put = async (remotePath: string, remoteRoot: string | undefined = root) => {
    const backend = make();
    try {
      return await backend.put({
        ...local,
        localPath: local.path,
        remotePath,
        ...(remoteRoot !== undefined && { remoteRoot }),
      });
    } finally {
      await backend.close();
    }
  };

  it('refuses a folder link leading outside, naming it, and leaves the other folder untouched', async () => {
    await symlink(elsewhere, join(root, 'Instrumental'));
    const error = await put(join(root, 'Instrumental', 'Deep', 'song.m4a')).catch((e: unknown) => e);
    expect(isImkError(error, 'DESTINATION_UNSAFE'), String(error)).toBe(true);
    expect((error as Error).message).toContain(join(root, 'Instrumental'));
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('refuses a link that leads nowhere (it could be made to lead anywhere)', async () => {
    await symlink(join(elsewhere, 'gone'), join(root, 'Instrumental'));
    const error = await put(join(root, 'Instrumental', 'song.m4a')).catch((e: unknown) => e);
    expect(isImkError(error, 'DESTINATION_UNSAFE'), String(error)).toBe(true);
    // Said as it is: where it leads (the server resolves the missing name), or that it leads nowhere.
    expect((error as Error).message).toMatch(/is a symlink leading (nowhere|to \S*gone, outside)/);
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('refuses a link to nothing under the file name itself at once (DESTINATION_UNSAFE), also one pointing inside the root or with no root given, and leaves nothing', async () => {
    // SFTP said a bare, retried 'Failure' (its rename refused the name) until a later pass said why.
    const cases = [
      ['inside.m4a', join(root, 'missing.m4a'), root],
      ['relative.m4a', 'missing-too.m4a', root],
      ['no-root.m4a', join(root, 'gone.m4a'), undefined],
    ] as const;
    for (const [name, leadsTo, remoteRoot] of cases) {
      await symlink(leadsTo, join(root, name));
      const error = await put(join(root, name), remoteRoot).catch((e: unknown) => e);
      expect(isImkError(error, 'DESTINATION_UNSAFE'), `${name}: ${String(error)}`).toBe(true);
      expect((error as Error).message).toContain(`${join(root, name)} is a symlink leading nowhere`);
    }
    expect((await readdir(root)).sort()).toEqual(cases.map(([name]) => name).sort());
  });

  it('delivers through a link that stays inside the root', async () => {
    await mkdir(join(root, 'Real'));
    await symlink(join(root, 'Real'), join(root, 'Alias'));
    await put(join(root, 'Alias', 'song.m4a'));
    expect(await readdir(join(root, 'Real'))).toEqual(['song.m4a']);
  });
});
