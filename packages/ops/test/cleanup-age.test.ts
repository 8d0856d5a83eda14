// What an entry's age is, for retention: the last change anywhere inside it, on times this host can trust.
// - A running job writes deep inside its unfinished output or scratch folder (files/audio/…), which does
//   not touch the folder's own times; judging the folder alone removed it mid-write once the folder was
//   older than the temp limit.
// - A modification time in the future (copied with the times of a host whose clock was ahead) kept an
//   archive forever.
import { appendFile, mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { RetentionConfigSchema, runCleanup } from '../src/index.ts';

const DAY = 86_400_000;
const quiet = createLogger('test', { destination: new Writable({ write: (_c, _e, done) => done() }) });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function makeRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'imk-cleanup-age-'));
  roots.push(root);
  return root;
}

async function put(path: string, bytes = 10): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, Buffer.alloc(bytes));
}

describe('retention age', () => {
  it('keeps a temporary folder while a file deep inside it is still being written', async () => {
    const root = await makeRoot();
    const partial = join(root, 'outputs/.job_r.partial-host-1-ab');
    const work = join(root, 'state/tmp/instrumental-maker/job_r-host-1-ab');
    const engine = join(root, 'state/cache/stems/.tmp-0123456789abcdef-0a1b2c3d');
    await put(join(partial, 'files/audio/Artist - Title.m4a'));
    await put(join(work, 'decode/input.wav'));
    await put(join(engine, 'stems/vocals.wav'));
    // An abandoned one beside them, untouched since it was made.
    await put(join(root, 'outputs/.job_old.partial-host-2-cd/files/audio/a.m4a'));
    // The temp limit is one second; the folders themselves are older than that when cleanup runs,
    // but the running job appended to its files a moment ago (which changes no folder's times).
    const retention = RetentionConfigSchema.parse({ temp: { maxAgeHours: 1 / 3600 } });
    await sleep(1500);
    await appendFile(join(partial, 'files/audio/Artist - Title.m4a'), Buffer.alloc(10));
    await appendFile(join(work, 'decode/input.wav'), Buffer.alloc(10));
    await appendFile(join(engine, 'stems/vocals.wav'), Buffer.alloc(10));

    const report = await runCleanup({ root, logger: quiet, retention });

    expect(report.removed.map((e) => e.path)).toEqual([join(root, 'outputs/.job_old.partial-host-2-cd')]);
    expect((await readdir(join(root, 'outputs'))).sort()).toEqual(['.job_r.partial-host-1-ab']);
    expect(await readdir(join(partial, 'files/audio'))).toEqual(['Artist - Title.m4a']);
    expect(await readdir(join(root, 'state/tmp/instrumental-maker'))).toEqual(['job_r-host-1-ab']);
    expect(await readdir(join(root, 'state/cache/stems'))).toEqual(['.tmp-0123456789abcdef-0a1b2c3d']);
  });

  it('does not let a modification time in the future keep an archive forever', async () => {
    const root = await makeRoot();
    const archived = join(root, 'queues/other/succeeded/job_skew@w1.a');
    await put(join(archived, 'audio.wav'), 1000);
    const year2100 = new Date('2100-01-01T00:00:00Z');
    await utimes(join(archived, 'audio.wav'), year2100, year2100);
    await utimes(archived, year2100, year2100);
    const retention = RetentionConfigSchema.parse({ archives: { maxAgeDays: 30 } });

    // Archived today: kept today; 31 days on (by this host's clock), past the limit like any other.
    expect((await runCleanup({ root, logger: quiet, retention, dryRun: true })).plan.remove).toEqual([]);
    const later = await runCleanup({ root, logger: quiet, retention, now: Date.now() + 31 * DAY });
    expect(later.removed.map((e) => e.path)).toEqual([archived]);
    expect(await readdir(join(root, 'queues/other/succeeded'))).toEqual([]);
  });
});
