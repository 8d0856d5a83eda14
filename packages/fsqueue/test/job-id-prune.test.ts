import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createQueue, findJob, listRejected, pruneJobIdOwners, type Queue } from '../src/index.ts';
import { takeJobId } from '../src/job-id-owner.ts';
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
    // The id is held (other runs it): a cleanup keeps both. But song@1 may go while song@2 (other's, live)
    // is in force: a claim that read song@1 just before a cleanup removed it took song@2.
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

describe('pruneJobIdOwners: an id published again, with more than one generation', () => {
  it('removes every generation once no queue holds the id, and the id runs again from <id>@1', async () => {
    // Ran in youtube_audio, its archive removed by hand, published again in other and ran there: song@1
    // and song@2. Those stayed forever (only an id's lone song@1 went): one more file each time.
    await publishTiny(audioDir, 'song');
    await (await open(audioDir).claim())!.complete();
    await rm(join(audioDir, 'succeeded', 'job_song'), { recursive: true });
    await publishTiny(otherDir, 'song');
    await (await open(otherDir).claim())!.complete();
    expect(await owners()).toEqual(['song@1', 'song@2']);
    expect(await pruneJobIdOwners(queuesDir)).toEqual({ removed: [], kept: 2, removedTemps: [] });
    await rm(join(otherDir, 'succeeded', 'job_song'), { recursive: true });
    expect((await pruneJobIdOwners(queuesDir, { dryRun: true })).removed.sort()).toEqual([
      'song@1',
      'song@2',
    ]);
    expect(await owners()).toEqual(['song@1', 'song@2']);
    expect(await pruneJobIdOwners(queuesDir)).toEqual({
      removed: ['song@2', 'song@1'],
      kept: 0,
      removedTemps: [],
    });
    expect(await owners()).toEqual([]);
    // Published a third time, in a third queue: it runs there and takes song@1; a bundle of it put into
    // youtube_audio by hand is rejected, naming it.
    await publishTiny(videoDir, 'song');
    const again = await open(videoDir).claim();
    expect(again?.jobId).toBe('song');
    expect(await owners()).toEqual(['song@1']);
    await publishManyUnsynced(audioDir, ['song']);
    expect(await open(audioDir).claim()).toBeUndefined();
    expect((await listRejected(audioDir)).map((bundle) => bundle.jobId)).toEqual(['song']);
    await again!.complete();
  });

  it('a claim that passed a generation a cleanup then removed does not run beside the claim that took it afresh', async () => {
    // youtube_audio ran the id; its archive is gone. A claim in other reads song@1 (owner gone) and, before it
    // links song@2, a cleanup removes song@1 and youtube_video claims the id, taking song@1 afresh. Before,
    // the claim in other took song@2 (song@3 absent: in force) and both jobs of one id ran.
    await publishTiny(audioDir, 'song');
    await (await open(audioDir).claim())!.complete();
    await rm(join(audioDir, 'succeeded', 'job_song'), { recursive: true });
    let live: Awaited<ReturnType<Queue['claim']>>;
    let acted = false;
    const found = await takeJobId(otherDir, 'song', 'b.1', 'b', {
      passedOwnerGone: async (generation) => {
        if (acted || generation !== 1) return;
        acted = true;
        expect(await pruneJobIdOwners(queuesDir)).toMatchObject({ removed: ['song@1'] });
        await publishTiny(videoDir, 'song');
        live = await open(videoDir).claim();
        expect(live?.jobId).toBe('song');
      },
    });
    expect(acted).toBe(true);
    expect(found).toMatchObject({ queue: 'youtube_video', state: 'claimed' });
    // The claim in other removed its song@2 on the way: youtube_video's song@1 is the one in force.
    expect(await owners()).toEqual(['song@1']);
    await live!.complete();
  });
});

describe('pruneJobIdOwners and a claim in the queue its owner file names', () => {
  it('puts the files back when that queue claimed the id after the listing (it took the id with no link)', async () => {
    // youtube_audio ran the id; its archive is gone; a bundle of it is published there again and claimed:
    // song@1 names youtube_audio, so the claim takes the id as its queue's own and links nothing.
    await publishTiny(audioDir, 'song');
    await (await open(audioDir).claim())!.complete();
    await rm(join(audioDir, 'succeeded', 'job_song'), { recursive: true });
    const listedText = await readFile(join(queuesDir, '.imk-job-ids', 'song@1'), 'utf8');
    await publishTiny(audioDir, 'song');
    const live = await open(audioDir).claim();
    expect(live?.jobId).toBe('song');
    expect(await owners()).toEqual(['song@1']);
    // A cleanup that listed the queues just before that claim (as if its folder were not there yet):
    // before, it removed song@1, and a bundle of the id in another queue then ran beside the live job.
    expect(await pruneJobIdOwners(queuesDir, { gone: new Set([live!.dir]) })).toEqual({
      removed: [],
      kept: 1,
      removedTemps: [],
    });
    expect(await owners()).toEqual(['song@1']);
    expect(await readFile(join(queuesDir, '.imk-job-ids', 'song@1'), 'utf8')).toBe(listedText);
    await publishManyUnsynced(otherDir, ['song']);
    expect(await open(otherDir).claim()).toBeUndefined();
    expect((await listRejected(otherDir)).map((bundle) => bundle.jobId)).toEqual(['song']);
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
