import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  PROCESS_COUNTING_ENGINE,
  engineCalls,
  folderNames,
  imk,
  jobDetail,
  makeRoot,
  makeSong,
  publishV1,
  readManifest,
  removeRoot,
  waitFor,
  stopWorker,
} from './helpers.ts';

let root: string | undefined;
afterEach(() => removeRoot(root));

/** Every file and folder under `dir`, relative, sorted (empty when it does not exist). */
async function tree(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true })).sort();
  } catch {
    return [];
  }
}

const cancelDoc = async (dir: string): Promise<Record<string, unknown>> =>
  JSON.parse(await readFile(join(dir, 'imk-cancel.json'), 'utf8')) as Record<string, unknown>;

describe('imk cancel with a real worker', () => {
  it('cancels a queued and a running job, leaves nothing behind, and imk retry brings both back to completion', async () => {
    root = await makeRoot((dir) => ({
      pollMs: 100,
      concurrency: 1,
      leaseMs: 3000,
      variants: ['instrumental'],
      // The builtin engine behind a counter; its first call stays "in separation" for a minute, so the job
      // is surely running when it is cancelled. Later calls (after the retry) run at once.
      engine: {
        name: 'counting',
        module: PROCESS_COUNTING_ENGINE,
        params: { counterFile: engineCalls(dir), delayMs: 60_000, delayCalls: 1 },
      },
    }));
    const media = join(root, 'media');
    await mkdir(media);
    await makeSong(join(media, 'a.m4a'), 2, 1);
    await makeSong(join(media, 'b.m4a'), 2, 2);
    const job = (id: string) => ({
      job_id: id,
      source_type: 'local',
      artist: 'S',
      title: id,
      audio_path: 'a.m4a',
    });
    await publishV1(root, 'other', job('running_one'), { 'a.m4a': join(media, 'a.m4a') });
    await publishV1(root, 'other', job('queued_one'), { 'a.m4a': join(media, 'b.m4a') });
    const queue = join(root, 'queues', 'other');

    const worker = imk(['run', '--root', root]);
    try {
      await waitFor(
        async () => (await readFile(engineCalls(root!), 'utf8').catch(() => '')).length > 0,
        60_000,
        'the engine to start on running_one',
      );
      // The queued job first: once running_one stops, the free worker claims the next ready job, so a
      // cancel of queued_one that started at the same time could find it running (seen on a loaded machine).
      const queued = await imk(['cancel', 'queued_one', '--reason', 'queued by mistake', '--root', root]);
      const running = await imk(['cancel', 'running_one', '--reason', 'wrong song', '--root', root]);
      expect(queued.exitCode, String(queued.all)).toBe(0);
      expect(queued.stdout).toMatch(/job queued_one was queued; it is cancelled and kept in .*cancelled/);
      expect(running.exitCode, String(running.all)).toBe(0);
      expect(running.stdout).toMatch(/job running_one was running; it is stopped, nothing was published/);

      // Both kept in cancelled/ with why and where they were; nothing claimed, nothing published.
      expect((await folderNames(join(queue, 'cancelled'))).sort()).toEqual([
        'job_queued_one',
        'job_running_one',
      ]);
      expect(await cancelDoc(join(queue, 'cancelled', 'job_queued_one'))).toMatchObject({
        status: 'cancelled',
        reason: 'queued by mistake',
        requested_by: 'imk cancel',
        was: 'ready',
      });
      const stopped = await cancelDoc(join(queue, 'cancelled', 'job_running_one'));
      expect(stopped).toMatchObject({ reason: 'wrong song', was: 'running', stage: 'separate', attempt: 1 });
      expect(await folderNames(join(queue, 'claimed'))).toEqual([]);
      expect(await folderNames(queue)).not.toContain('job_queued_one');
      // No outputs folder, no `.partial-` folder, no scratch and no half-made stems.
      expect(await tree(join(root, 'outputs'))).toEqual([]);
      expect(await tree(join(root, 'state', 'tmp'))).toEqual(['instrumental-maker']);
      expect(await tree(join(root, 'state', 'cache', 'stems'))).toEqual([]);
      // The ledger (imk jobs, imk job, the dashboard) says cancelled, with who asked and why.
      const ran = await jobDetail(root, 'running_one');
      expect(ran.job.state).toBe('cancelled');
      expect(ran.events.at(-1)?.message).toMatch(/cancelled by imk cancel in stage separate: wrong song/);
      // The stage it was stopped in is `stopped` in imk job's stages (and the dashboard's), not `failed`.
      expect(ran.stages.find((s) => s.stage === 'separate')).toMatchObject({
        attempt: 1,
        outcome: 'stopped',
      });
      expect((await jobDetail(root, 'queued_one')).job.state).toBe('cancelled');

      // Cancelling again, or an unknown job, is refused with the job named; retry brings both back.
      const [again, ghost] = await Promise.all([
        imk(['cancel', 'running_one', '--root', root]),
        imk(['cancel', 'ghost', '--root', root]),
      ]);
      expect(again.exitCode).toBe(1);
      expect(again.stderr).toMatch(/job running_one was cancelled already .*JOB_NOT_CANCELLABLE/);
      expect(ghost.exitCode).toBe(1);
      expect(ghost.stderr).toMatch(/no job "ghost" in any queue .*JOB_NOT_FOUND/);
      const [retryRunning, retryQueued] = await Promise.all([
        imk(['retry', 'running_one', '--root', root]),
        imk(['retry', 'queued_one', '--root', root]),
      ]);
      expect(retryRunning.exitCode, String(retryRunning.all)).toBe(0);
      expect(retryQueued.exitCode, String(retryQueued.all)).toBe(0);
      await waitFor(
        async () => (await folderNames(join(queue, 'succeeded'))).length === 2,
        60_000,
        'both retried jobs to succeed',
      );
      for (const id of ['running_one', 'queued_one']) {
        expect((await readManifest(root, id)).job_id).toBe(id);
        expect((await jobDetail(root, id)).job.state).toBe('succeeded');
      }
      expect(await folderNames(join(queue, 'cancelled'))).toEqual([]);
    } finally {
      await stopWorker(worker);
    }
  }, 180_000);
});
