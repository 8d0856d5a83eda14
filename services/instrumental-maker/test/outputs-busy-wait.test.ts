import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { legacySample, materializeLegacySample } from '@imk/media/legacy-samples';
import {
  folderNames,
  imk,
  jobDetail,
  makeRoot,
  makeSong,
  publishV1,
  readManifest,
  removeRoot,
  waitFor,
} from './helpers.ts';

let root: string | undefined;
afterEach(() => removeRoot(root));

/** Every file under `dir` with its content, by relative path. */
async function contents(dir: string): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      found.set(path.slice(dir.length + 1), await readFile(path));
    }
  return found;
}

// The earlier Python version still writing outputs/<id>/ when this version publishes the same id: the job
// failed with OUTPUTS_BEING_WRITTEN, was retried with the usual backoff, and after maxAttempts (about 15 s
// with the defaults) failed for good; the user had to notice and run imk retry. It now waits, spending no
// attempt, for as long as retry.maxWaitMs allows.
describe('a job whose outputs folder the earlier version is still writing', () => {
  it('waits for it past the old give-up time, then publishes by itself, keeping every file of the earlier version', async () => {
    root = await makeRoot({
      pollMs: 100,
      concurrency: 1,
      variants: ['instrumental'],
      // Two attempts 50 ms apart: the old code gave up after the second look at the folder.
      retry: { maxAttempts: 2, backoffMs: 50, maxBackoffMs: 100, maxWaitMs: 600_000, waitCheckMs: 200 },
    });
    const earlier = join(root, 'outputs', 'busy');
    await materializeLegacySample('outputs/pyout_inst_003', earlier);
    await rm(join(earlier, 'manifest.json'));
    await makeSong(join(root, 'song.m4a'), 2, 3);
    await publishV1(
      root,
      'other',
      { job_id: 'busy', source_type: 'local', artist: 'A', title: 'Busy', audio_path: 'song.m4a' },
      { 'song.m4a': join(root, 'song.m4a') },
    );
    const queue = join(root, 'queues', 'other');
    const worker = imk(['run', '--root', root], { env: { IMK_LOG_LEVEL: 'info' } });
    let log = '';
    worker.all?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const waits = () =>
      log.split('\n').filter((line) => line.includes('waits (OUTPUTS_BEING_WRITTEN')).length;
    try {
      // The earlier version goes on writing its folder, a file at a time, until the job has looked at it
      // more often than its attempts allow (the old code failed it for good by then).
      let written = 0;
      await waitFor(
        async () => {
          await writeFile(join(earlier, 'files', `part-${++written}.txt`), `part ${written}\n`);
          return waits() > 4 || (await folderNames(join(queue, 'failed'))).length > 0;
        },
        120_000,
        'the job to look at the busy folder more often than its attempts allow',
      );
      expect(await folderNames(join(queue, 'failed'))).toEqual([]);
      const before = await contents(earlier);
      // It finishes: its manifest.json, written last.
      await writeFile(
        join(earlier, 'manifest.json'),
        await readFile(legacySample('outputs/pyout_inst_003/manifest.json'), 'utf8'),
      );
      before.set('manifest.json', await readFile(join(earlier, 'manifest.json')));
      await waitFor(
        async () =>
          (await folderNames(join(queue, 'succeeded'))).length > 0 ||
          (await folderNames(join(queue, 'failed'))).length > 0,
        120_000,
        'the job to be published or failed',
      );
      expect(await folderNames(join(queue, 'failed'))).toEqual([]);
      expect((await readManifest(root, 'busy')).job_id).toBe('busy');
      const detail = await jobDetail(root, 'busy');
      expect(detail.job.state).toBe('succeeded');
      // The wait is one entry of the job's errors (its first look), not one per look.
      expect(detail.errors.map((e) => e.message)).toEqual([
        expect.stringContaining('outputs/busy/ holds files without a manifest.json'),
      ]);
      // The earlier version's folder, whole (its files written during the wait too), kept for good.
      const kept = (await folderNames(join(root, 'outputs', '.replaced'))).filter((n) =>
        n.startsWith('busy@'),
      );
      expect(kept).toHaveLength(1);
      expect(kept[0]).toMatch(/\.earlier-version$/);
      expect(await contents(join(root, 'outputs', '.replaced', kept[0]!))).toEqual(before);
      // The log said what the job waited for, and where.
      expect(log).toMatch(/job busy waits \(OUTPUTS_BEING_WRITTEN, waited \d+ s of at most 10 min/);
      expect(log).toContain('outputs/busy/ holds files without a manifest.json');
    } finally {
      worker.kill('SIGTERM');
      await worker;
    }
  }, 300_000);

  it('fails after retry.maxWaitMs when the earlier version never finishes, saying how long it waited', async () => {
    root = await makeRoot({
      pollMs: 100,
      concurrency: 1,
      variants: ['instrumental'],
      retry: { maxAttempts: 2, backoffMs: 50, maxBackoffMs: 100, maxWaitMs: 1500, waitCheckMs: 200 },
    });
    const earlier = join(root, 'outputs', 'busy');
    await materializeLegacySample('outputs/pyout_inst_003', earlier);
    await rm(join(earlier, 'manifest.json'));
    await makeSong(join(root, 'song.m4a'), 2, 4);
    await publishV1(
      root,
      'other',
      { job_id: 'busy', source_type: 'local', artist: 'A', title: 'Busy', audio_path: 'song.m4a' },
      { 'song.m4a': join(root, 'song.m4a') },
    );
    const queue = join(root, 'queues', 'other');
    const worker = imk(['run', '--root', root]);
    try {
      let written = 0;
      await waitFor(
        async () => {
          await writeFile(join(earlier, 'files', `part-${++written}.txt`), `part ${written}\n`);
          return (await folderNames(join(queue, 'failed'))).length > 0;
        },
        120_000,
        'the job to give up waiting',
      );
      const error = JSON.parse(
        await readFile(join(queue, 'failed', 'job_busy', 'imk-error.json'), 'utf8'),
      ) as { message: string };
      expect(error.message).toContain('outputs/busy/ holds files without a manifest.json');
      expect(error.message).toMatch(/waited \d+ s for it, the longest retry\.maxWaitMs/);
      expect(error.message).toContain('imk retry busy');
      // Nothing of the earlier version moved: it is still being written where it was.
      expect(await folderNames(join(root, 'outputs', '.replaced'))).toEqual([]);
      const parts = (await folderNames(join(earlier, 'files'))).filter((name) => name.startsWith('part-'));
      expect(parts).toHaveLength(written);
    } finally {
      worker.kill('SIGTERM');
      await worker;
    }
  }, 300_000);
});
