import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { publishTiny, tempRoot } from '../test/helpers.ts';
import {
  countQueues,
  createQueue,
  listQueueJobs,
  listQueueNames,
  listRejected,
  readRejection,
  type Queue,
  type Rejection,
} from './index.ts';

let root: string;
let cleanup: () => Promise<void>;
let queueDir: string;
const queues: Queue[] = [];

beforeEach(async () => {
  ({ root, cleanup } = await tempRoot());
  queueDir = join(root, 'queues', 'other');
});
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.close();
  await cleanup();
});

/** A bundle whose job.json names no audio: the queue rejects it on claim. */
async function publishInvalid(jobId: string): Promise<void> {
  const dir = join(queueDir, `job_${jobId}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'job.json'), JSON.stringify({ job_id: jobId, source_type: 'local' }));
}

describe('the queue layout, read through fsqueue', () => {
  it('lists jobs by state, the jobs in progress without the archives', async () => {
    await publishTiny(queueDir, 'waiting');
    await publishTiny(queueDir, 'held');
    await publishTiny(queueDir, 'done');
    await mkdir(join(queueDir, 'job_writing.tmp'));
    const queue = createQueue({ queueDir, watch: false, maintenance: false });
    queues.push(queue);
    const claims = [await queue.claim(), await queue.claim(), await queue.claim()];
    const done = claims.find((c) => c?.jobId === 'done');
    await done!.complete();
    await claims.find((c) => c?.jobId === 'waiting')!.release();

    const all = await listQueueJobs(queueDir);
    const states = Object.fromEntries(all.map((e) => [e.jobId, e.state]));
    expect(states).toEqual({ waiting: 'ready', held: 'claimed', done: 'succeeded', writing: 'tmp' });
    const active = await listQueueJobs(queueDir, { states: ['tmp', 'ready', 'claimed'] });
    expect(active.map((e) => e.jobId).sort()).toEqual(['held', 'waiting', 'writing']);
    expect((await listQueueJobs(queueDir, { states: ['succeeded'] })).map((e) => e.jobId)).toEqual(['done']);
    expect(await listQueueJobs(join(root, 'queues', 'missing'))).toEqual([]);
  });

  it('calls onReject with the reasons, and lists the rejected bundles with them afterwards', async () => {
    await publishInvalid('no_audio');
    const seen: Rejection[] = [];
    const queue = createQueue({
      queueDir,
      watch: false,
      maintenance: false,
      onReject: (rejection) => void seen.push(rejection),
    });
    queues.push(queue);
    expect(await queue.claim()).toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.jobId).toBe('no_audio');
    expect(seen[0]!.problems.map((p) => p.message).join(' ')).toMatch(/audio_path/);

    const listed = await listRejected(queueDir);
    expect(listed).toEqual([{ jobId: 'no_audio', dir: seen[0]!.dir }]);
    expect(await readRejection(listed[0]!)).toEqual(seen[0]);
    expect(await listRejected(join(root, 'queues', 'missing'))).toEqual([]);
  });

  it('a failing onReject hook is logged, the bundle is still rejected and claiming goes on', async () => {
    await publishInvalid('bad');
    await publishTiny(queueDir, 'good');
    const queue = createQueue({
      queueDir,
      watch: false,
      maintenance: false,
      onReject: () => {
        throw new Error('ledger closed');
      },
    });
    queues.push(queue);
    const claim = await queue.claim();
    expect(claim?.jobId).toBe('good');
    expect((await listRejected(queueDir)).map((r) => r.jobId)).toEqual(['bad']);
  });

  it('names the queue folders under queues/, skipping hidden ones and files', async () => {
    const queuesDir = join(root, 'queues');
    await mkdir(join(queuesDir, 'other'), { recursive: true });
    await mkdir(join(queuesDir, '.trash'));
    await writeFile(join(queuesDir, 'notes.txt'), 'x');
    expect(await listQueueNames(queuesDir)).toEqual(['other']);
    expect(await listQueueNames(join(root, 'nothing'))).toEqual([]);
  });

  it('names the standard queues first, then linked and other queue folders, and counts each', async () => {
    const queuesDir = join(root, 'queues-linked');
    const elsewhere = join(root, 'elsewhere', 'karaoke');
    await mkdir(join(queuesDir, 'other'), { recursive: true });
    await mkdir(join(elsewhere, 'job_k1'), { recursive: true });
    await symlink(elsewhere, join(queuesDir, 'karaoke'));
    const standard = ['youtube_audio', 'other'];
    expect(await listQueueNames(queuesDir, standard)).toEqual(['youtube_audio', 'other', 'karaoke']);
    const counts = await countQueues(queuesDir, standard);
    expect(counts.map((c) => [c.queue, c.ready])).toEqual([
      ['youtube_audio', 0],
      ['other', 0],
      ['karaoke', 1],
    ]);
  });
});
