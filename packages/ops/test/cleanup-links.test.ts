// Cleanup never deletes through a symbolic link. Inside an archive a link is removed, never what it points
// at; and a link standing in for a folder whose every expired child goes (an archive folder,
// outputs/.replaced, a cache under state/) is not followed at all: it used to be, so every file older
// than 30 days in the folder it pointed at was deleted.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { RetentionConfigSchema, runCleanup } from '../src/index.ts';

const DAY = 86_400_000;
const quiet = createLogger('test', { destination: new Writable({ write: (_c, _e, done) => done() }) });
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function temp(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

async function put(path: string, text = 'x'): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
}

describe('cleanup and symbolic links', () => {
  it('does not follow a link in place of an archive, replaced-outputs or cache folder', async () => {
    const root = await temp('imk-cleanup-links-');
    const mine = await temp('imk-cleanup-mine-');
    for (const name of ['photos', 'music', 'work']) await put(join(mine, name, 'keep me.txt'), 'mine');
    await mkdir(join(root, 'queues/other'), { recursive: true });
    await symlink(join(mine, 'photos'), join(root, 'queues/other/succeeded'));
    await mkdir(join(root, 'outputs'), { recursive: true });
    await symlink(join(mine, 'music'), join(root, 'outputs/.replaced'));
    await mkdir(join(root, 'state/web'), { recursive: true });
    await symlink(join(mine, 'work'), join(root, 'state/web/cache'));
    await put(join(root, 'queues/other/failed/job_f@w1.a/audio.wav'));

    const report = await runCleanup({
      root,
      logger: quiet,
      retention: RetentionConfigSchema.parse({}),
      now: Date.now() + 40 * DAY,
    });

    expect(report.removed.map((e) => e.path)).toEqual([join(root, 'queues/other/failed/job_f@w1.a')]);
    for (const name of ['photos', 'music', 'work'])
      expect(await readdir(join(mine, name))).toEqual(['keep me.txt']);
    expect(report.problems.map((p) => p.path).sort()).toEqual(
      ['queues/other/succeeded', 'outputs/.replaced', 'state/web/cache'].map((p) => join(root, p)).sort(),
    );
    expect(report.problems[0]?.message).toContain('symbolic link, not followed');
  });

  it('prunes the archives of a queue folder placed on another disk with a link, standard or custom', async () => {
    // The worker and the CLI open queues through such links (fsqueue's listQueueNames follows them); the
    // cleanup must too, or a custom queue kept on a NAS share grows forever.
    const root = await temp('imk-cleanup-links-');
    const share = await temp('imk-cleanup-share-');
    await mkdir(join(root, 'queues'), { recursive: true });
    for (const queue of ['other', 'karaoke']) {
      await put(join(share, queue, 'failed/job_old@w1.a/audio.wav'));
      await put(join(share, queue, 'pending/job_new/job.json'), '{}');
      await symlink(join(share, queue), join(root, 'queues', queue));
    }

    const report = await runCleanup({
      root,
      logger: quiet,
      retention: RetentionConfigSchema.parse({}),
      now: Date.now() + 40 * DAY,
    });

    expect(report.removed.map((e) => e.path).sort()).toEqual(
      ['karaoke', 'other'].map((queue) => join(root, 'queues', queue, 'failed/job_old@w1.a')),
    );
    for (const queue of ['other', 'karaoke']) {
      expect(await readdir(join(share, queue, 'failed'))).toEqual([]);
      expect(await readdir(join(share, queue, 'pending'))).toEqual(['job_new']);
    }
  });

  it('removes links, FIFOs and oddly named entries inside archives, never what a link points at', async () => {
    const root = await temp('imk-cleanup-links-');
    const mine = await temp('imk-cleanup-mine-');
    await put(join(mine, 'album/track.flac'), 'mine');
    await put(join(mine, 'single.flac'), 'mine');
    const archive = join(root, 'queues/other/succeeded/job_a@w1.a');
    await put(join(archive, 'audio.wav'), 'xx');
    await symlink(join(mine, 'album'), join(archive, 'album'));
    await symlink(join(mine, 'single.flac'), join(archive, 'single.flac'));
    execFileSync('mkfifo', [join(archive, 'pipe')]);
    // An archived entry that is itself a link, and one with a newline and accents in its name.
    await symlink(join(mine, 'album'), join(root, 'queues/other/succeeded/job_l@w1.a'));
    await put(join(root, 'queues/other/succeeded', 'job_é\nx@w1.a', 'a.wav'), 'xxx');

    const dry = await runCleanup({
      root,
      logger: quiet,
      retention: RetentionConfigSchema.parse({}),
      dryRun: true,
      now: Date.now() + 40 * DAY,
    });
    const real = await runCleanup({
      root,
      logger: quiet,
      retention: RetentionConfigSchema.parse({}),
      now: Date.now() + 40 * DAY,
    });

    expect(real.removed.map((e) => e.path).sort()).toEqual(dry.plan.remove.map((e) => e.path).sort());
    expect(real.removed).toHaveLength(3);
    expect(real.problems).toEqual([]);
    expect(await readdir(join(root, 'queues/other/succeeded'))).toEqual([]);
    expect((await readdir(mine)).sort()).toEqual(['album', 'single.flac']);
    expect(await readdir(join(mine, 'album'))).toEqual(['track.flac']);
    // Bytes are those of the archive itself (links and the FIFO count for their own size, not the target's).
    expect(real.freedBytes).toBeLessThan(200);
  });
});
