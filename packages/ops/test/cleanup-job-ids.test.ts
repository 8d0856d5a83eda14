// imk cleanup removes a queue's archived jobs after retention.archives.maxAgeDays, but the job id owner file
// each claim made (queues/.imk-job-ids/<id>@<n>) stayed: one file per id ever claimed, forever. Once the
// last archived copy of an id is gone, its owner files go in the same pass, and the id can be published
// and run again.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createQueue, publishBundle } from '@imk/fsqueue';
import { createLogger } from '@imk/log';
import { RetentionConfigSchema, runCleanup } from '../src/index.ts';

const DAY = 86_400_000;
const quiet = createLogger('test', { destination: new Writable({ write: (_c, _e, done) => done() }) });
const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

/** Publishes job `id` into queue `queue` and runs it to success, as a worker would. */
async function ran(root: string, queue: string, id: string): Promise<void> {
  const queueDir = join(root, 'queues', queue);
  await writeFile(join(root, `${id}.m4a`), `audio of ${id}`);
  await publishBundle({
    queueDir,
    job: { job_id: id, source_type: 'local', audio_path: 'a.m4a', title: id },
    files: [{ name: 'a.m4a', source: join(root, `${id}.m4a`) }],
  });
  const consumer = createQueue({ queueDir, watch: false });
  try {
    const claim = await consumer.claim();
    expect(claim?.jobId).toBe(id);
    await claim!.complete();
  } finally {
    await consumer.close();
  }
}

describe('cleanup and the job id owner files', () => {
  it("removes an id's owner files with its last archived job; the id then runs again in another queue", async () => {
    const root = await mkdtemp(join(tmpdir(), 'imk-cleanup-job-ids-'));
    roots.push(root);
    await ran(root, 'youtube_audio', 'old_song');
    const owners = () => readdir(join(root, 'queues', '.imk-job-ids')).then((names) => names.sort());
    expect(await owners()).toEqual(['old_song@1']);
    const retention = RetentionConfigSchema.parse({ archives: { maxAgeDays: 30 } });
    // Within the archives' age: the job is kept, and so is its owner file.
    const early = await runCleanup({ root, logger: quiet, retention, now: Date.now() + DAY });
    expect(early.jobIdOwners).toEqual({ removed: [], kept: 1, removedTemps: [] });
    expect(await owners()).toEqual(['old_song@1']);
    // Past it: the archive goes, and the owner file with it (a dry run says so and removes nothing).
    const later = Date.now() + 40 * DAY;
    const dry = await runCleanup({ root, logger: quiet, retention, now: later, dryRun: true });
    expect(dry.jobIdOwners.removed).toEqual(['old_song@1']);
    expect(await owners()).toEqual(['old_song@1']);
    const pass = await runCleanup({ root, logger: quiet, retention, now: later });
    expect(pass.removed.map((e) => e.path)).toEqual([
      join(root, 'queues', 'youtube_audio', 'succeeded', 'job_old_song'),
    ]);
    expect(pass.jobIdOwners).toEqual({ removed: ['old_song@1'], kept: 0, removedTemps: [] });
    expect(await owners()).toEqual([]);
    // Published again, in another queue: it runs.
    await ran(root, 'other', 'old_song');
    expect(await owners()).toEqual(['old_song@1']);
  });
});
