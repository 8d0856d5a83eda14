import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { RetentionConfigSchema, runCleanup } from '../src/index.ts';

const DAY = 86_400_000;
const quiet = createLogger('test', { destination: new Writable({ write: (_c, _e, done) => done() }) });
const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function makeRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'imk-cleanup-'));
  roots.push(root);
  return root;
}

async function put(path: string, bytes: number): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, Buffer.alloc(bytes));
}

describe('imk cleanup (retention)', () => {
  it('removes archives older than the limit and keeps ready jobs, outputs and young archives', async () => {
    const root = await makeRoot();
    await put(join(root, 'queues/other/succeeded/job_old@w1.a/audio.wav'), 1000);
    await put(join(root, 'queues/other/job_ready/audio.wav'), 1000);
    await put(join(root, 'outputs/job_old/manifest.json'), 10);
    const retention = RetentionConfigSchema.parse({ archives: { maxAgeDays: 7 } });

    // Seen from 8 days later the archive is past its limit; a ready job or an output never is.
    const later = Date.now() + 8 * DAY;
    const dry = await runCleanup({ root, logger: quiet, retention, dryRun: true, now: later });
    expect(dry.plan.remove.map((e) => e.path)).toEqual([join(root, 'queues/other/succeeded/job_old@w1.a')]);
    expect(await readdir(join(root, 'queues/other/succeeded'))).toEqual(['job_old@w1.a']); // dry run: kept

    const real = await runCleanup({ root, logger: quiet, retention, now: later });
    expect(real.freedBytes).toBe(1000);
    expect(await readdir(join(root, 'queues/other/succeeded'))).toEqual([]);
    expect(await readdir(join(root, 'queues/other'))).toContain('job_ready');
    expect(await readdir(join(root, 'outputs'))).toEqual(['job_old']);

    const now = await runCleanup({ root, logger: quiet, retention: RetentionConfigSchema.parse({}) });
    expect(now.removed).toEqual([]);
  });

  it('trims caches to their size limit, oldest first', async () => {
    const root = await makeRoot();
    for (const name of ['a', 'b', 'c']) {
      await put(join(root, `state/cache/stems/${name}/vocals.wav`), 600 * 1024);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const retention = RetentionConfigSchema.parse({ caches: { maxAgeDays: 0, maxTotalMb: 1 } });
    const report = await runCleanup({ root, logger: quiet, retention });
    expect(report.removed.map((e) => [e.path, e.reason])).toEqual([
      [join(root, 'state/cache/stems/a'), 'size'],
      [join(root, 'state/cache/stems/b'), 'size'],
    ]);
    expect(await readdir(join(root, 'state/cache/stems'))).toEqual(['c']);
  });

  it('sweeps temporary leftovers past their age and keeps the folders services hold', async () => {
    const root = await makeRoot();
    await put(join(root, 'queues/youtube_audio/job_x.tmp/audio.m4a'), 100);
    await put(join(root, 'queues/youtube_audio/job_y/audio.m4a'), 100);
    await put(join(root, 'state/tmp/web/upload-1/part'), 100);
    await put(join(root, 'state/youtube-retriever/work/dl-1/video.part'), 100);
    await put(join(root, 'outputs/.job_z.partial-host-1-ab/files/audio/a.m4a'), 100);
    await put(join(root, 'outputs/job_z/manifest.json'), 10);
    await put(join(root, 'outputs/.replaced/job_w@20240101/manifest.json'), 10);
    const report = await runCleanup({
      root,
      logger: quiet,
      retention: RetentionConfigSchema.parse({}),
      now: Date.now() + 2 * DAY,
    });
    expect(report.removed.map((e) => e.path).sort()).toEqual(
      [
        'queues/youtube_audio/job_x.tmp',
        'state/tmp/web/upload-1',
        'state/youtube-retriever/work/dl-1',
        'outputs/.job_z.partial-host-1-ab',
      ]
        .map((p) => join(root, p))
        .sort(),
    );
    expect(await readdir(join(root, 'queues/youtube_audio'))).toEqual(['job_y']);
    expect(await readdir(join(root, 'state/tmp'))).toEqual(['web']);
    expect((await readdir(join(root, 'outputs'))).sort()).toEqual(['.replaced', 'job_z']);

    // Replaced outputs are archives: they go with the archive age limit (30 days by default).
    const later = await runCleanup({
      root,
      logger: quiet,
      retention: RetentionConfigSchema.parse({}),
      now: Date.now() + 31 * DAY,
    });
    expect(later.removed.map((e) => e.path)).toEqual([join(root, 'outputs/.replaced/job_w@20240101')]);
  });
});
