import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createQueue, type Claim, type Queue } from '../src/index.ts';
import { takeJobId } from '../src/job-id-owner.ts';
import { publishTiny, tempRoot } from './helpers.ts';

// A claim in one queue asks whether the queue that owns its job id (the owner file) still holds the job.
// One look reads ready (job_<id>/) before claimed/ and the archives: a job the owner queue releases back to
// ready between those two reads is in neither, and the owner was taken for gone (the claim in the other
// queue took the next generation of the id and ran the job a second time). The owner now counts as gone
// only after two looks find nothing.
let cleanup: () => Promise<void>;
let queuesDir: string;
const queues: Queue[] = [];

beforeEach(async () => {
  let root: string;
  ({ root, cleanup } = await tempRoot());
  queuesDir = join(root, 'queues');
});
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.close();
  await cleanup();
});

describe('the queue that owns a job id, looked at while it releases the job', () => {
  it('is never taken for gone: a release back to ready in the middle of a look is seen', async () => {
    const owner = join(queuesDir, 'youtube_audio');
    const other = join(queuesDir, 'other');
    const worker = createQueue({ queueDir: owner, consumerId: 'a', watch: false, maintenance: false });
    queues.push(worker);
    await publishTiny(owner, 'song');
    let claim: Claim | null | undefined = await worker.claim();
    // Each round the owner queue releases its claim while the other queue looks, one look right after
    // another until the release is over: the move back to ready lands in some look, now and then between
    // its read of ready and its read of claimed/ (one round in a few on this machine).
    const seen = { claimed: 0, ready: 0 };
    for (let round = 0; round < 200; round++) {
      expect(claim?.jobId, `round ${round}: the owner queue claims the job again`).toBe('song');
      let releasing = true;
      const released = claim!.release().finally(() => (releasing = false));
      for (let look = 0; releasing || look === 0; look++) {
        const found = await takeJobId(other, 'song', `b.${round}.${look}`, 'b');
        // Claimed or ready again: the owner queue holds the job, and the other queue must not run it.
        expect(found, `round ${round}, look ${look}: the owner queue was taken for gone`).toMatchObject({
          queue: 'youtube_audio',
        });
        seen[found!.state as keyof typeof seen]++;
      }
      await released;
      expect(await takeJobId(other, 'song', `b.${round}.after`, 'b')).toMatchObject({ state: 'ready' });
      claim = await worker.claim();
    }
    // The looks saw the job on both sides of the release.
    expect(seen.claimed, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(seen.ready, JSON.stringify(seen)).toBeGreaterThan(0);
  }, 120_000);
});
