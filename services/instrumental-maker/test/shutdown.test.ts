import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
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

let root: string | undefined;
afterEach(() => removeRoot(root));

/** `delayMs`: how long each separation takes; 'held': it lasts as long as `<root>/hold` exists. */
async function setup(
  gracePeriodMs: number,
  delayMs: number | 'held',
  jobs: string[],
): Promise<{ root: string; counter: string }> {
  const dir = await makeRoot((root) => ({
    pollMs: 100,
    concurrency: 1,
    gracePeriodMs,
    variants: ['instrumental'],
    engine: {
      name: 'counting',
      module: PROCESS_COUNTING_ENGINE,
      params: {
        counterFile: engineCalls(root),
        ...(delayMs === 'held' ? { holdWhile: join(root, 'hold') } : { delayMs }),
      },
    },
  }));
  const counter = engineCalls(dir);
  await mkdir(join(dir, 'media'));
  await makeSong(join(dir, 'media', 'song.m4a'), 3, 7);
  for (const id of jobs)
    await publishV1(
      dir,
      'other',
      { job_id: id, source_type: 'local', artist: 'S', title: id, audio_path: 'song.m4a' },
      { 'song.m4a': join(dir, 'media', 'song.m4a') },
    );
  return { root: dir, counter };
}

const started = (counter: string) => async () => (await readFile(counter, 'utf8').catch(() => '')).length > 0;

describe('SIGTERM', () => {
  it('stops claiming, lets the running job finish within the grace period, and exits 0', async () => {
    // The job's separation is held until the worker has said it stops claiming: SIGTERM comes while the
    // job runs, however fast the machine (a fixed 1.5-s separation could be over, and the next job claimed,
    // by the time a loaded test process sent it).
    const s = await setup(60_000, 'held', ['finish_me', 'leave_me']);
    root = s.root;
    const hold = join(root, 'hold');
    await writeFile(hold, '');
    const worker = imk(['run', '--root', root], { env: { IMK_LOG_LEVEL: 'info' } });
    let log = '';
    worker.all?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    try {
      await waitFor(started(s.counter), 60_000, 'the engine to start');
      worker.kill('SIGTERM');
      await waitFor(
        () => log.includes('stopping: no new claims; running jobs may finish'),
        60_000,
        'the worker to stop claiming',
      );
    } finally {
      await rm(hold, { force: true });
    }
    const result = await worker;
    expect(result.exitCode, String(result.all)).toBe(0);
    const queue = join(root, 'queues', 'other');
    expect((await folderNames(join(queue, 'succeeded'))).map((n) => n.split('@')[0])).toEqual([
      'job_finish_me',
    ]);
    expect(await folderNames(queue)).toContain('job_leave_me');
    expect(await folderNames(join(root, 'outputs'))).toEqual(['finish_me']);
  });

  it('releases a job still running when the grace period ends, without counting an attempt', async () => {
    // The job's separation lasts until the test lets it go: the worker must exit while it is still held.
    const s = await setup(300, 'held', ['slow_one']);
    root = s.root;
    const hold = join(root, 'hold');
    await writeFile(hold, '');
    const worker = imk(['run', '--root', root]);
    try {
      await waitFor(started(s.counter), 60_000, 'the engine to start');
      worker.kill('SIGTERM');
      const exited = await Promise.race([worker, sleep(120_000).then(() => 'still running')]);
      expect(exited, 'the worker waited for the held job past its grace period').not.toBe('still running');
    } finally {
      await rm(hold, { force: true });
    }
    const result = await worker;
    expect(result.exitCode, String(result.all)).toBe(0);
    const ready = join(root, 'queues', 'other', 'job_slow_one');
    expect(await folderNames(join(root, 'queues', 'other'))).toContain('job_slow_one');
    expect(JSON.parse(await readFile(join(ready, 'imk-state.json'), 'utf8')).attempts).toBe(0);
    expect((await folderNames(join(root, 'outputs'))).filter((n) => n !== '.replaced')).toEqual([]);
    const detail = await jobDetail(root, 'slow_one');
    expect(detail.job.state).toBe('released');
  });
});
