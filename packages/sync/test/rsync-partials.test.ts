// rsync keeps what an interrupted copy wrote in `.imk-partial/` beside the target, to resume it. On a full
// disk the partial of the copy that did not fit stayed there, keeping the disk full: the next, smaller file
// failed too, pass after pass; and a partial of content never sent again (a route changed, the job processed
// again) stayed for good. Now, at the end of a pass, partials no transfer of that pass can resume from are
// removed (rsync-partials.ts), and a transfer that failed (stopped at any point, or before its copy began)
// keeps its own. Real rsync, to a folder here and over ssh.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRsyncBackend, type SyncBackend } from '../src/index.ts';
import { tempDir, testLogger } from './helpers.ts';
import { endStarted, sshdSettings, startAll, startSshd, type SshdServer } from './servers/index.ts';

let sshd: SshdServer;
let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  ({ sshd, dir } = await startAll({ sshd: startSshd, dir: () => tempDir('imk-rsync-partials-') }));
});
afterAll(async () => {
  await Promise.all([endStarted(sshd), endStarted(dir)]);
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function song(name: string, bytes: number) {
  const data = randomBytes(bytes);
  const localPath = join(dir.path, name);
  await writeFile(localPath, data);
  return { localPath, bytes, sha256: sha256(data) };
}

const partialName = (name: string, hash: string) => `.${name}.${hash.slice(0, 12)}.imk-tmp`;

describe('rsync: partial copies on a full disk', () => {
  it('removes the partial of a copy that did not fit at the end of the pass, so the next file fits', async () => {
    const root = join(dir.path, 'nas-full');
    await mkdir(root, { recursive: true });
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', root]);
    const backend = createRsyncBackend({ type: 'rsync', root }, { name: 'nas', logger: testLogger() });
    try {
      const big = await song('big.m4a', 400_000);
      await expect(backend.put({ ...big, remotePath: '/Music/big.m4a' })).rejects.toMatchObject({
        code: 'REMOTE_FULL',
      });
      await backend.close();
      expect(await readdir(join(root, 'Music'))).toEqual([]);
      const small = await song('small.m4a', 150_000);
      await expect(backend.put({ ...small, remotePath: '/Music/small.m4a' })).resolves.toMatchObject({
        bytes: 150_000,
      });
      await backend.close();
      expect(await readdir(join(root, 'Music'))).toEqual(['small.m4a']);
    } finally {
      await backend.close();
      await execa('umount', [root]);
    }
  });
});

describe('rsync: partial copies no transfer wants', () => {
  for (const over of ['a folder here', 'ssh'] as const) {
    it(`over ${over}: removes stale partials of folders the pass wrote to, keeps one a failed transfer resumes from`, async () => {
      const root = over === 'ssh' ? join(sshd.dataDir, 'partials') : join(dir.path, 'nas-partials');
      const music = join(root, 'Music');
      const partials = join(music, '.imk-partial');
      await mkdir(partials, { recursive: true });
      const backend: SyncBackend = createRsyncBackend(
        over === 'ssh' ? sshdSettings(sshd, 'rsync', root) : { type: 'rsync', root },
        { name: 'nas', logger: testLogger() },
      );
      try {
        // Left by an earlier pass: content no transfer sends any more (the job was processed again).
        const stale = partialName('Old Song (instrumental).m4a', sha256(randomBytes(8)));
        await writeFile(join(partials, stale), randomBytes(50_000));
        // Of a transfer that fails this pass (stopped): a next try resumes from it.
        const stopped = await song('stopped.m4a', 80_000);
        const resumable = partialName('stopped.m4a', stopped.sha256);
        await writeFile(join(partials, resumable), randomBytes(40_000));
        // Not ours: left alone.
        await writeFile(join(partials, 'notes.txt'), 'mine');

        const fresh = await song('fresh.m4a', 60_000);
        await expect(backend.put({ ...fresh, remotePath: 'Music/fresh.m4a' })).resolves.toMatchObject({
          bytes: 60_000,
        });
        await expect(
          backend.put({ ...stopped, remotePath: 'Music/stopped.m4a', signal: AbortSignal.abort() }),
        ).rejects.toThrow();
        // Failed before its copy began (its file here was gone): its partial is as the pass found it, and stays.
        const gone = await song('gone.m4a', 70_000);
        const goneResumable = partialName('gone.m4a', gone.sha256);
        await writeFile(join(partials, goneResumable), randomBytes(30_000));
        await rm(gone.localPath);
        await expect(backend.put({ ...gone, remotePath: 'Music/gone.m4a' })).rejects.toThrow(/gone\.m4a/);
        await backend.close();
        expect((await readdir(partials)).sort()).toEqual([resumable, goneResumable, 'notes.txt'].sort());
        expect((await readdir(music)).sort()).toEqual(['.imk-partial', 'fresh.m4a']);
      } finally {
        await backend.close();
      }
    }, 30_000);

    // Two nas-syncs (two state folders, so two writers) delivering to one folder: the sweep at the end of
    // one's pass used to remove every `.imk-tmp` partial there, including the other's, which that one was
    // about to resume. Only this writer's partials (`.<name>.<sha>.<writer>.imk-tmp`) are swept now.
    it(`over ${over}: sweeps only this writer's partials, never another nas-sync's`, async () => {
      const root = over === 'ssh' ? join(sshd.dataDir, 'two-writers') : join(dir.path, 'nas-two-writers');
      const music = join(root, 'Music');
      const partials = join(music, '.imk-partial');
      await mkdir(partials, { recursive: true });
      const backend: SyncBackend = createRsyncBackend(
        over === 'ssh' ? sshdSettings(sshd, 'rsync', root) : { type: 'rsync', root },
        { name: 'nas', logger: testLogger(), tempOwner: 'aaaa1111' },
      );
      try {
        const hash = sha256(randomBytes(8));
        const mine = `.Old Song.m4a.${hash.slice(0, 12)}.aaaa1111.imk-tmp`;
        const theirs = `.Old Song.m4a.${hash.slice(0, 12)}.bbbb2222.imk-tmp`;
        const theirsOther = `.Their Song.m4a.${sha256(randomBytes(8)).slice(0, 12)}.bbbb2222.imk-tmp`;
        for (const name of [mine, theirs, theirsOther])
          await writeFile(join(partials, name), randomBytes(20_000));
        const fresh = await song('fresh-two.m4a', 30_000);
        await expect(backend.put({ ...fresh, remotePath: 'Music/fresh-two.m4a' })).resolves.toMatchObject({
          bytes: 30_000,
        });
        await backend.close();
        expect((await readdir(partials)).sort()).toEqual([theirs, theirsOther].sort());
      } finally {
        await backend.close();
      }
    }, 30_000);
  }
});
