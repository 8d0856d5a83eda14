import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createQueue, findJob, listRejected, pruneJobIdOwners, type Queue } from '../src/index.ts';
import { publishManyUnsynced, publishTiny, tempRoot } from './helpers.ts';

// Each claim of a new job id makes an owner file queues/.imk-job-ids/<id>@<n> (job-id-owner.ts), and
// nothing removed them: one file per id ever claimed, forever. They are removed once no queue holds the
// id; the id can then be published and run again, in any queue, and two live jobs never share it.
let cleanup: () => Promise<void>;
let queuesDir: string;
let audioDir: string;
let otherDir: string;
let videoDir: string;
const queues: Queue[] = [];

beforeEach(async () => {
  let root: string;
  ({ root, cleanup } = await tempRoot());
  queuesDir = join(root, 'queues');
  audioDir = join(queuesDir, 'youtube_audio');
  otherDir = join(queuesDir, 'other');
  videoDir = join(queuesDir, 'youtube_video');
});
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.close();
  await cleanup();
});

function open(queueDir: string): Queue {
  const queue = createQueue({ queueDir, watch: false, maxAttempts: 1 });
  queues.push(queue);
  return queue;
}

const owners = async (): Promise<string[]> =>
  (await readdir(join(queuesDir, '.imk-job-ids')).catch(() => [])).sort();

describe('pruneJobIdOwners', () => {
  it('keeps the owner files of ids a queue holds, removes the others, and the id can run again after', async () => {
    for (const id of ['kept', 'gone']) {
      await publishTiny(audioDir, id);
      await (await open(audioDir).claim())!.complete();
    }
    await publishTiny(audioDir, 'waiting');
    const running = await open(audioDir).claim();
    expect(running?.jobId).toBe('waiting');
    expect(await owners()).toEqual(['gone@1', 'kept@1', 'waiting@1']);
    // Every id is held (succeeded, claimed): nothing goes.
    expect(await pruneJobIdOwners(queuesDir)).toEqual({ removed: [], kept: 3, removedTemps: [] });
    // The archive of one is removed (retention, or by hand): its owner file goes; a dry run only says so.
    await rm(join(audioDir, 'succeeded', 'job_gone'), { recursive: true });
    expect(await pruneJobIdOwners(queuesDir, { dryRun: true })).toEqual({
      removed: ['gone@1'],
      kept: 2,
      removedTemps: [],
    });
    expect(await owners()).toEqual(['gone@1', 'kept@1', 'waiting@1']);
    expect(await pruneJobIdOwners(queuesDir)).toEqual({ removed: ['gone@1'], kept: 2, removedTemps: [] });
    expect(await owners()).toEqual(['kept@1', 'waiting@1']);
    // Published again, in another queue: it runs there, and owns the id from now on.
    await publishTiny(otherDir, 'gone');
    const again = await open(otherDir).claim();
    expect(again?.jobId).toBe('gone');
    expect(await owners()).toEqual(['gone@1', 'kept@1', 'waiting@1']);
    // A bundle of it put in by hand into a third queue is rejected, naming the live one.
    await publishManyUnsynced(videoDir, ['gone']);
    expect(await open(videoDir).claim()).toBeUndefined();
    const [rejected] = await listRejected(videoDir);
    expect(rejected?.jobId).toBe('gone');
    await again!.complete();
    expect(await findJob(otherDir, 'gone')).toMatchObject({ state: 'succeeded' });
  });

  it('never lets a claim take <id>@1 afresh while <id>@2 is in force (a claim that ran beside a cleanup)', async () => {
    // Generation 1: youtube_audio ran it, then its archive was removed. Generation 2: other runs it now.
    await publishTiny(audioDir, 'song');
    await (await open(audioDir).claim())!.complete();
    await rm(join(audioDir, 'succeeded', 'job_song'), { recursive: true });
    await publishTiny(otherDir, 'song');
    const live = await open(otherDir).claim();
    expect(live?.jobId).toBe('song');
    expect(await owners()).toEqual(['song@1', 'song@2']);
    // A cleanup never removes an id with two generations (below); but a claim that read song@1 just before a
    // cleanup removed it takes song@2, and song@1 is then gone while song@2 (other's, live) is in force.
    expect(await pruneJobIdOwners(queuesDir)).toEqual({ removed: [], kept: 2, removedTemps: [] });
    await rm(join(queuesDir, '.imk-job-ids', 'song@1'));
    // A bundle of the id put into a third queue by hand: it must not take song@1 afresh and run beside
    // the live job.
    await publishManyUnsynced(videoDir, ['song']);
    expect(await open(videoDir).claim()).toBeUndefined();
    const [rejected] = await listRejected(videoDir);
    expect(rejected?.jobId).toBe('song');
    // Its song@1 says nothing: song@2, one further, is in force.
    expect(await owners()).toEqual(['song@1', 'song@2']);
    await live!.complete();
  });
});

describe('pruneJobIdOwners: temp files a crashed claim left', () => {
  it('removes an owner temp file older than any claim takes, keeps a fresh one (a claim may be linking it)', async () => {
    await publishTiny(audioDir, 'done');
    await (await open(audioDir).claim())!.complete();
    const dir = join(queuesDir, '.imk-job-ids');
    // As job-id-owner.ts names them: written, then linked under the owner name; a crash between leaves it.
    await writeFile(join(dir, '.new-4242-0a1b2c3d4e5f'), '{"queue":"youtube_audio"}');
    await writeFile(join(dir, '.new-4243-ffeeddccbbaa'), '{"queue":"youtube_audio"}');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(join(dir, '.new-4242-0a1b2c3d4e5f'), twoHoursAgo, twoHoursAgo);
    expect(await pruneJobIdOwners(queuesDir, { dryRun: true })).toEqual({
      removed: [],
      kept: 1,
      removedTemps: ['.new-4242-0a1b2c3d4e5f'],
    });
    expect(await owners()).toEqual(['.new-4242-0a1b2c3d4e5f', '.new-4243-ffeeddccbbaa', 'done@1']);
    expect((await pruneJobIdOwners(queuesDir)).removedTemps).toEqual(['.new-4242-0a1b2c3d4e5f']);
    expect(await owners()).toEqual(['.new-4243-ffeeddccbbaa', 'done@1']);
  });
});
