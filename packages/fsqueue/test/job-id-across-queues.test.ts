import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile, readdir, rename, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isImkError } from '@imk/errors';
import { createQueue, existingJob, findJob, listRejected, retryFailed, type Queue } from '../src/index.ts';
import { publishManyUnsynced, publishTiny, tempRoot } from './helpers.ts';

// A job id names one job across every queue: its outputs are outputs/<job_id>/ whatever the queue. Two
// retrievers publishing one id into two queues both succeeded (the duplicate check looked in one queue),
// and the worker then replaced the first job's outputs with the second's.
let cleanup: () => Promise<void>;
let audioDir: string;
let otherDir: string;
const queues: Queue[] = [];

beforeEach(async () => {
  let root: string;
  ({ root, cleanup } = await tempRoot());
  audioDir = join(root, 'queues', 'youtube_audio');
  otherDir = join(root, 'queues', 'other');
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

async function refusal(queueDir: string, id: string): Promise<string> {
  const error: unknown = await publishTiny(queueDir, id).catch((e: unknown) => e);
  if (!isImkError(error, 'JOB_EXISTS')) throw new Error(`expected JOB_EXISTS, got ${String(error)}`);
  return error.message;
}

describe('one job id published into two queues', () => {
  it('refuses the second publish in every state of the first, naming the queue that holds the id', async () => {
    await publishTiny(audioDir, 'song');
    expect(await refusal(otherDir, 'song')).toMatch(
      /^job song in queue youtube_audio .* is already queued and waits for a worker: .*youtube_audio\/job_song$/,
    );
    // A producer asking before it downloads hears the same.
    expect((await existingJob(otherDir, 'song'))?.message).toContain('in queue youtube_audio');
    const audio = open(audioDir);
    const claim = await audio.claim();
    expect(await refusal(otherDir, 'song')).toContain('in queue youtube_audio');
    await claim!.complete();
    const done = await refusal(otherDir, 'song');
    expect(done).toContain('was already processed (its outputs are in outputs/song)');
    expect(await findJob(otherDir, 'song')).toBeUndefined();
  });

  it('does not take a link to the same queue for another queue', async () => {
    await publishTiny(audioDir, 'song');
    const linked = join(audioDir, '..', 'audio');
    await symlink(audioDir, linked);
    // A consumer given the link claims its job: youtube_audio, beside it, is the same folder.
    const claim = await open(linked).claim();
    expect(claim?.jobId).toBe('song');
    await claim!.complete();
    expect(await findJob(audioDir, 'song')).toMatchObject({ state: 'succeeded' });
  });
});

describe('a bundle of an id another queue ran, put in by hand (the claim is the last gate)', () => {
  it('is rejected with the reason beside it, and never runs', async () => {
    await publishTiny(audioDir, 'song');
    const first = await open(audioDir).claim();
    await first!.complete();
    // Copied in by hand: no publish checked it.
    await publishManyUnsynced(otherDir, ['song']);
    const other = open(otherDir);
    expect(await other.claim()).toBeUndefined();
    const [rejected] = await listRejected(otherDir);
    expect(rejected?.jobId).toBe('song');
    const reason = await readFile(join(rejected!.dir, 'imk-rejection.json'), 'utf8');
    expect(reason).toContain('the job of that id in queue youtube_audio ran (succeeded)');
    expect(reason).toContain('publish this bundle again under another job id');
  });

  it('of two waiting in two queues, runs the first claimed and rejects the other', async () => {
    await publishManyUnsynced(audioDir, ['song']);
    await publishManyUnsynced(otherDir, ['song']);
    const first = await open(otherDir).claim();
    expect(first?.jobId).toBe('song');
    await first!.complete();
    expect(await open(audioDir).claim()).toBeUndefined();
    expect(await findJob(audioDir, 'song')).toMatchObject({ state: 'rejected' });
  });
});

describe('a job kept only under an archive name with a token (job_<id>@<token>)', () => {
  // archiveFolder names a job job_<id>@<token> when job_<id> was taken in that archive; once the plain one
  // is retried or removed, the token name is all that is left. The looks at the plain name only missed it.
  async function keptOnlyWithToken(state: 'succeeded' | 'failed' | 'cancelled'): Promise<string> {
    await publishTiny(audioDir, 'song');
    const claim = await open(audioDir).claim();
    if (state === 'succeeded') await claim!.complete();
    else if (state === 'failed') await claim!.fail({ stage: 'separate', message: 'boom' });
    else await claim!.cancel();
    const plain = join(audioDir, state, 'job_song');
    const tokenNamed = join(audioDir, state, 'job_song@w1-1-abc.zz9');
    await rename(plain, tokenNamed);
    return tokenNamed;
  }

  for (const state of ['succeeded', 'failed', 'cancelled'] as const)
    it(`in ${state}/: a publish in either queue is refused, a bundle put in another queue by hand is rejected`, async () => {
      const dir = await keptOnlyWithToken(state);
      expect(await findJob(audioDir, 'song')).toMatchObject({ state, dir });
      expect(await refusal(audioDir, 'song')).toContain(dir);
      expect(await refusal(otherDir, 'song')).toContain('in queue youtube_audio');
      await publishManyUnsynced(otherDir, ['song']);
      expect(await open(otherDir).claim()).toBeUndefined();
      const [rejected] = await listRejected(otherDir);
      const reason = await readFile(join(rejected!.dir, 'imk-rejection.json'), 'utf8');
      expect(reason).toContain(`the job of that id in queue youtube_audio ran (${state})`);
    });
});

describe('two bundles of one id claimed in two queues at the same instant', () => {
  it('runs one and rejects the other naming the winner, every time', async () => {
    const audio = open(audioDir);
    const other = open(otherDir);
    for (let round = 0; round < 25; round++) {
      const id = `race_${round}`;
      await publishManyUnsynced(audioDir, [id]);
      await publishManyUnsynced(otherDir, [id]);
      const claims = await Promise.all([audio.claim(), other.claim()]);
      const won = claims.filter((claim) => claim !== undefined);
      expect(won.map((claim) => claim.jobId)).toEqual([id]);
      const winner = won[0]!;
      const loserDir = winner.queue === 'youtube_audio' ? otherDir : audioDir;
      const rejected = (await listRejected(loserDir)).find((folder) => folder.jobId === id);
      const reason = await readFile(join(rejected!.dir, 'imk-rejection.json'), 'utf8');
      expect(reason).toContain(`the job of that id in queue ${winner.queue} is being processed`);
      await winner.complete();
      // The id stays the winner's: a third bundle of it, in the loser's queue, is rejected too.
      await publishManyUnsynced(loserDir, [id]);
      expect(await (loserDir === audioDir ? audio : other).claim()).toBeUndefined();
      expect(await findJob(winner.queue === 'youtube_audio' ? audioDir : otherDir, id)).toMatchObject({
        state: 'succeeded',
      });
    }
    // One owner file per id, made once; no temp file left behind.
    const owners = await readdir(join(audioDir, '..', '.imk-job-ids'));
    expect(owners.sort()).toEqual(Array.from({ length: 25 }, (_, round) => `race_${round}@1`).sort());
  });

  it('keeps the id for its own queue: a failed job retried there runs again', async () => {
    await publishTiny(audioDir, 'song');
    const audio = open(audioDir);
    await (await audio.claim())!.fail({ stage: 'separate', message: 'boom' });
    await retryFailed(audioDir, 'song');
    const again = await audio.claim();
    expect(again).toMatchObject({ jobId: 'song', attempt: 1 });
    await again!.complete();
  });

  it('frees the id when the owner queue no longer holds it (its bundle was removed), for one claim only', async () => {
    await publishTiny(audioDir, 'song');
    const first = await open(audioDir).claim();
    await first!.cancel();
    // An operator removes the cancelled job: the id is free again.
    const { rm } = await import('node:fs/promises');
    await rm(join(audioDir, 'cancelled'), { recursive: true });
    await publishManyUnsynced(otherDir, ['song']);
    await publishManyUnsynced(join(audioDir, '..', 'third'), ['song']);
    const claims = await Promise.all([open(otherDir).claim(), open(join(audioDir, '..', 'third')).claim()]);
    expect(claims.filter((claim) => claim !== undefined)).toHaveLength(1);
  });
});
