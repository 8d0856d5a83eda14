// The scheduled cleanup (the web service's, so `imk up`'s) runs soon after start, then every interval.
// It used to wait a whole interval first, so a process restarted more often than that never cleaned.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { startCleanupSchedule } from '../src/index.ts';

const quiet = createLogger('test', { destination: new Writable({ write: (_c, _e, done) => done() }) });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

describe('the cleanup schedule', () => {
  it('runs its first cleanup soon after start, not one interval (here 60 minutes) later', async () => {
    const root = await mkdtemp(join(tmpdir(), 'imk-cleanup-start-'));
    roots.push(root);
    await mkdir(join(root, 'config'));
    // Archives older than about 0.9 s are past their limit; the interval is the default hour.
    await writeFile(
      join(root, 'config', 'operations.yaml'),
      'retention:\n  intervalMinutes: 60\n  archives: { maxAgeDays: 0.00001 }\n',
    );
    const succeeded = join(root, 'queues', 'youtube_audio', 'succeeded');
    await mkdir(join(succeeded, 'job_old'), { recursive: true });
    await writeFile(join(succeeded, 'job_old', 'job.json'), '{}');
    await sleep(1200);

    const controller = new AbortController();
    await startCleanupSchedule({ root, logger: quiet, signal: controller.signal, firstRunAfterMs: 100 });
    try {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && (await readdir(succeeded)).length > 0) await sleep(100);
      expect(await readdir(succeeded)).toEqual([]);
    } finally {
      controller.abort();
    }
  });
});
