import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManifestSchema } from '@imk/protocol';
import {
  PROCESS_COUNTING_ENGINE,
  engineCalls,
  folderNames,
  imk,
  makeRoot,
  makeSong,
  publishV1,
  removeRoot,
  waitFor,
  jobDetail,
} from './helpers.ts';

// A worker is SIGKILLed while separating. Another worker started afterwards takes the job over once the
// lease expires and completes it exactly once; meanwhile, a reader polling outputs/<job_id> never sees a
// folder without its manifest or with a file the manifest does not list as present.
let root: string;
let counter: string;
const JOB = 'crash_me';

beforeAll(async () => {
  root = await makeRoot((dir) => ({
    pollMs: 100,
    leaseMs: 1500,
    concurrency: 1,
    variants: ['instrumental', 'no_drums'],
    engine: {
      name: 'counting',
      module: PROCESS_COUNTING_ENGINE,
      // Held while <root>/hold exists: the worker is killed while it separates, however fast the machine.
      params: { counterFile: engineCalls(dir), holdWhile: join(dir, 'hold') },
    },
    retry: { maxAttempts: 3, backoffMs: 100 },
  }));
  counter = engineCalls(root);
  await mkdir(join(root, 'media'));
  await makeSong(join(root, 'media', 'song.m4a'), 3, 6);
  await publishV1(
    root,
    'other',
    { job_id: JOB, source_type: 'local', artist: 'K', title: 'Killed', audio_path: 'song.m4a' },
    { 'song.m4a': join(root, 'media', 'song.m4a') },
  );
}, 60_000);

afterAll(() => removeRoot(root));

/** Every 10 ms: if outputs/<job> exists, its manifest and every file it lists must be there. */
function watchOutputs(): { stop: () => Promise<string[]>; sawFolder: () => boolean } {
  const problems: string[] = [];
  let seen = false;
  let running = true;
  const dir = join(root, 'outputs', JOB);
  const loop = (async () => {
    while (running) {
      const names = await folderNames(dir);
      if (names.length > 0) {
        seen = true;
        try {
          const manifest = ManifestSchema.parse(
            JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')),
          );
          for (const artifact of manifest.artifacts) await access(join(dir, artifact.path));
        } catch (error) {
          // The folder may have been moved between the listing and the read; look again before complaining.
          if ((await folderNames(dir)).length > 0)
            problems.push(`${names.join(',')}: ${(error as Error).message}`);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return problems;
    },
    sawFolder: () => seen,
  };
}

describe('SIGKILL during separation, then a restart', () => {
  it('completes the job exactly once and never shows a partial output folder', async () => {
    const watcher = watchOutputs();
    const hold = join(root, 'hold');
    await writeFile(hold, '');
    const first = imk(['run', '--root', root], { detached: true });
    try {
      await waitFor(
        async () => (await readFile(counter, 'utf8').catch(() => '')).length > 0,
        60_000,
        'the engine to start',
      );
      // The whole process group: the worker and any ffmpeg it started.
      process.kill(-first.pid!, 'SIGKILL');
      await first;
    } finally {
      await rm(hold, { force: true });
    }
    expect(await folderNames(join(root, 'queues', 'other', 'claimed'))).toHaveLength(1);
    expect(await folderNames(join(root, 'outputs'))).not.toContain(JOB);

    const second = await imk(['run', '--once', '--root', root]);
    const problems = await watcher.stop();
    expect(second.exitCode, String(second.all)).toBe(0);
    expect(JSON.parse(String(second.stdout))).toMatchObject({ ok: true, succeeded: 1, failed: 0 });
    expect(problems).toEqual([]);
    expect(watcher.sawFolder()).toBe(true);

    const queue = join(root, 'queues', 'other');
    expect(await folderNames(join(queue, 'claimed'))).toEqual([]);
    expect((await folderNames(queue)).filter((n) => n.startsWith('job_'))).toEqual([]);
    const succeeded = await folderNames(join(queue, 'succeeded'));
    expect(succeeded).toHaveLength(1);
    const result = JSON.parse(
      await readFile(join(queue, 'succeeded', succeeded[0]!, 'imk-result.json'), 'utf8'),
    );
    expect(result.attempt).toBe(2);
    // Only the finished folder: the killed worker's unfinished one was cleaned up, nothing was replaced.
    expect(await folderNames(join(root, 'outputs'))).toEqual([JOB]);
    expect((await readFile(counter, 'utf8')).trim().split('\n')).toHaveLength(2);

    const detail = await jobDetail(root, JOB);
    expect(detail.events.filter((e) => e.state === 'succeeded')).toHaveLength(1);
    expect(detail.events.map((e) => `${e.state}#${e.attempt}`)).toEqual([
      'running#1',
      'running#2',
      'succeeded#2',
    ]);
  });
});

describe('a worker stopped past its lease (SIGSTOP), then resumed', () => {
  it('finds its claim lost and discards its work; the job is done once, by the other worker', async () => {
    const other = await makeRoot((dir) => ({
      pollMs: 100,
      leaseMs: 1500,
      concurrency: 1,
      variants: ['instrumental'],
      engine: {
        name: 'counting',
        module: PROCESS_COUNTING_ENGINE,
        // Held while <other>/hold exists: stopped while it separates, however fast the machine.
        params: { counterFile: engineCalls(dir), holdWhile: join(dir, 'hold') },
      },
    }));
    const calls = engineCalls(other);
    try {
      await mkdir(join(other, 'media'));
      await makeSong(join(other, 'media', 'song.m4a'), 3, 8);
      await publishV1(
        other,
        'other',
        { job_id: 'paused', source_type: 'local', title: 'Paused', audio_path: 'song.m4a' },
        { 'song.m4a': join(other, 'media', 'song.m4a') },
      );

      const hold = join(other, 'hold');
      await writeFile(hold, '');
      const stopped = imk(['run', '--root', other]);
      await waitFor(
        async () => (await readFile(calls, 'utf8').catch(() => '')).length > 0,
        60_000,
        'the engine to start',
      );
      process.kill(stopped.pid!, 'SIGSTOP');
      // Let go only now: the stopped worker goes on separating once resumed; the other one is not held.
      await rm(hold);
      const taker = await imk(['run', '--once', '--root', other]);
      expect(taker.exitCode, String(taker.all)).toBe(0);
      const takerResult = JSON.parse(String(taker.stdout)) as { succeeded: number };
      expect(takerResult.succeeded).toBe(1);
      const published = await readFile(join(other, 'outputs', 'paused', 'manifest.json'), 'utf8');

      process.kill(stopped.pid!, 'SIGCONT');
      await waitFor(
        async () =>
          (await jobDetail(other, 'paused').catch(() => undefined))?.events.some(
            (e) => e.message === 'claim lost; work discarded',
          ) ?? false,
        30_000,
        'the resumed worker to notice',
      );
      stopped.kill('SIGTERM');
      expect((await stopped).exitCode).toBe(0);

      const queue = join(other, 'queues', 'other');
      expect(await folderNames(join(queue, 'succeeded'))).toHaveLength(1);
      expect(await folderNames(join(queue, 'claimed'))).toEqual([]);
      expect(await folderNames(join(other, 'outputs'))).toEqual(['paused']);
      expect(await readFile(join(other, 'outputs', 'paused', 'manifest.json'), 'utf8')).toBe(published);
    } finally {
      await removeRoot(other);
    }
  });
});
