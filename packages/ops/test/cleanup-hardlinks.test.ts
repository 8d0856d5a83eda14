// Hard links: a job skipped as a duplicate links its outputs to the earlier job's files, and an earlier
// output replaced by a re-run is kept in outputs/.replaced/ with those same files. Removing such an
// archive frees none of the shared bytes. Cleanup counted them anyway: the report said it freed space it
// did not, and the archives size limit removed archives that were not over the limit at all.
import { link, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { RetentionConfigSchema, runCleanup } from '../src/index.ts';

const MB = 1024 * 1024;
const DAY = 86_400_000;
const quiet = createLogger('test', { destination: new Writable({ write: (_c, _e, done) => done() }) });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function put(path: string, bytes: number): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, Buffer.alloc(bytes));
}

describe('cleanup and hard links', () => {
  it('counts only bytes that removing an entry frees, for the size limit and the report', async () => {
    const root = await mkdtemp(join(tmpdir(), 'imk-cleanup-links-'));
    roots.push(root);
    // An old archived bundle, 0.5 MB of its own.
    await put(join(root, 'queues/other/succeeded/job_c@w1.a/audio.wav'), MB / 2);
    await sleep(50);
    // A published output (a duplicate's), and the replaced output whose 2 MB file it links to.
    await put(join(root, 'outputs/job_b/files/audio/Song.m4a'), 2 * MB);
    await put(join(root, 'outputs/job_b/manifest.json'), 100);
    await mkdir(join(root, 'outputs/.replaced/job_a@20261201/files/audio'), { recursive: true });
    await link(
      join(root, 'outputs/job_b/files/audio/Song.m4a'),
      join(root, 'outputs/.replaced/job_a@20261201/files/audio/Song.m4a'),
    );
    await put(join(root, 'outputs/.replaced/job_a@20261201/manifest.json'), 100);

    // Archives may hold 1 MB: they hold 0.5 MB of their own, so nothing is over the limit.
    const limited = RetentionConfigSchema.parse({ archives: { maxAgeDays: 0, maxTotalMb: 1 } });
    const report = await runCleanup({ root, logger: quiet, retention: limited });
    expect(report.removed).toEqual([]);
    expect(await readdir(join(root, 'queues/other/succeeded'))).toEqual(['job_c@w1.a']);
    expect(await readdir(join(root, 'outputs/.replaced'))).toEqual(['job_a@20261201']);

    // Past their age, both go; the report frees what is really freed (the shared file stays in use).
    const aged = await runCleanup({
      root,
      logger: quiet,
      retention: RetentionConfigSchema.parse({}),
      now: Date.now() + 40 * DAY,
    });
    expect(aged.removed).toHaveLength(2);
    expect(aged.freedBytes).toBe(MB / 2 + 100);
    expect(await readdir(join(root, 'outputs/job_b/files/audio'))).toEqual(['Song.m4a']);
  });
});
