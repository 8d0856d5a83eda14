// A full destination is REMOTE_FULL (retried later, "free space on the destination") on every backend that
// runs a tool, whatever language this host speaks. rsync and rclone have no exit code for a full disk, so it
// is known by what they say: rclone's local remote says `preallocate: file too big for remaining disk space`,
// which was not among the words (TRANSFER_FAILED, "transfer failed"); and the tools now run in the C locale
// with rsync's errno read by number, so a German LANG (a locale built for the test with localedef, LOCPATH)
// changes nothing. Real rsync and rclone, to a 256-KiB tmpfs.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRcloneBackend, createRsyncBackend, isRetryable, type SyncBackend } from '../src/index.ts';
import { germanLocale, tempDir, testLogger } from './helpers.ts';

let dir: Awaited<ReturnType<typeof tempDir>>;
const saved = { LANG: process.env.LANG, LC_ALL: process.env.LC_ALL, LOCPATH: process.env.LOCPATH };
beforeAll(async () => {
  dir = await tempDir('imk-full-locale-');
  // What a user in Germany has: every program started from here inherits it.
  Object.assign(process.env, await germanLocale(dir.path));
  // The locale works: a tool started here speaks German.
  const ls = await execa('ls', [join(dir.path, 'nothing-here')], { reject: false });
  expect(ls.stderr).toMatch(/nicht gefunden/);
});
afterAll(async () => {
  for (const [name, value] of Object.entries(saved))
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  await dir.remove();
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function song(name: string, bytes: number) {
  const data = randomBytes(bytes);
  const localPath = join(dir.path, name);
  await writeFile(localPath, data);
  return { localPath, bytes, sha256: sha256(data) };
}

const backends: [string, (root: string) => SyncBackend][] = [
  ['rsync to a folder here', (root) => createRsyncBackend({ type: 'rsync', root }, context())],
  [
    'rclone to a local remote',
    (root) => {
      const configFile = join(dir.path, 'rclone.conf');
      return createRcloneBackend(
        { type: 'rclone', remote: `imklocal:${root}/`, configFile },
        { ...context(), env: { ...process.env, RCLONE_CONFIG_IMKLOCAL_TYPE: 'local' } },
      );
    },
  ],
];
const context = () => ({ name: 'nas', logger: testLogger() });

describe.each(backends)('%s, LANG=de_DE.UTF-8: a full destination', (label, make) => {
  it('is REMOTE_FULL, retried later, and the next file that fits is delivered', async () => {
    const root = join(dir.path, label.replace(/\W+/g, '-'));
    await mkdir(root, { recursive: true });
    await writeFile(join(dir.path, 'rclone.conf'), '');
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', root]);
    const backend = make(root);
    try {
      const big = await song('big.m4a', 400_000);
      const refused = await backend.put({ ...big, remotePath: 'Music/big.m4a' }).then(
        () => undefined,
        (error: unknown) => error as { code?: string; message: string },
      );
      expect(refused?.message).toBeDefined();
      expect({ code: refused?.code, retryable: isRetryable(refused) }, refused?.message).toEqual({
        code: 'REMOTE_FULL',
        retryable: true,
      });
      await backend.close();
      const small = await song('small.m4a', 100_000);
      await expect(backend.put({ ...small, remotePath: 'Music/small.m4a' })).resolves.toMatchObject({
        bytes: 100_000,
      });
      await backend.close();
      expect(await readdir(join(root, 'Music'))).toEqual(['small.m4a']);
    } finally {
      await backend.close();
      await execa('umount', [root]);
    }
  }, 60_000);
});
