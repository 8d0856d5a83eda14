import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isImkError } from '@imk/errors';
import { mountSshfs, SSHFS_QUEUE_OPTIONS, sshfsUsable, startSshd } from '@imk/sync/testing';
import { SETTLE_MS } from '../src/archive-listing.ts';
import { createQueue, existingJob, findJobFolders, retryFailed, type Queue } from '../src/index.ts';
import { publishTiny, sleep, tempRoot } from './helpers.ts';

// Each publish and each claim looks for its id in every queue's claimed/ and archives; a listing of those
// is now kept while the folder is unchanged (archive-listing.ts). What it answers must be what a fresh
// listing says, whatever changed there and however soon after a look.
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

/** Archived jobs of other ids, as a root that ran for a while has them. */
async function archiveMany(queue: string, count: number): Promise<void> {
  for (const folder of ['claimed', 'succeeded', 'failed', 'cancelled', 'rejected'])
    await mkdir(join(queuesDir, queue, folder), { recursive: true });
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      mkdir(join(queuesDir, queue, ['succeeded', 'failed', 'cancelled'][i % 3]!, `job_old${i}@w.${i}`)),
    ),
  );
}

const names = async (queue: string, jobId: string) =>
  (await findJobFolders(join(queuesDir, queue), jobId)).map(
    (found) => `${found.state}/${found.dir.split('/').pop()}`,
  );

/** Rounds of a change in failed/ and a look at once: renamed, added beside, removed. */
async function changeAndLook(rounds: number): Promise<void> {
  const failed = join(queuesDir, 'other', 'failed');
  await mkdir(join(failed, 'job_x@w.0'));
  for (let i = 0; i < rounds; i++) {
    await rename(join(failed, `job_x@w.${i}`), join(failed, `job_x@w.${i + 1}`));
    expect(await names('other', 'x'), `round ${i}: renamed`).toEqual([`failed/job_x@w.${i + 1}`]);
    await mkdir(join(failed, 'job_x'));
    expect(await names('other', 'x'), `round ${i}: added`).toEqual([
      'failed/job_x',
      `failed/job_x@w.${i + 1}`,
    ]);
    await rm(join(failed, 'job_x'), { recursive: true });
    expect(await names('other', 'x'), `round ${i}: removed`).toEqual([`failed/job_x@w.${i + 1}`]);
  }
  await rm(join(failed, `job_x@w.${rounds}`), { recursive: true });
  expect(await names('other', 'x')).toEqual([]);
}

describe('the archives of a root, looked at again and again', () => {
  it('a change right after a look is in the next look: within one tick of the clock, and after a listing was kept', async () => {
    await archiveMany('other', 300);
    // Changes in quick succession: on a file system whose clock ticks coarsely, many within one tick (one
    // mtime); a listing kept at once would miss them there (ext4 on a recent kernel stamps each apart).
    await changeAndLook(100);
    // The folder unchanged for longer than it takes a listing to be kept: the next looks use it, and
    // each change after it is seen as quickly.
    expect(await names('other', 'x')).toEqual([]);
    await sleep(SETTLE_MS + 100);
    expect(await names('other', 'x')).toEqual([]);
    expect(await names('other', 'x')).toEqual([]);
    await changeAndLook(100);
    // A folder replaced by another (a restore, an operator's move) is not the one listed.
    await sleep(SETTLE_MS + 100);
    expect(await names('other', 'x')).toEqual([]);
    const failed = join(queuesDir, 'other', 'failed');
    await rename(failed, `${failed}-old`);
    await mkdir(join(`${failed}-new`, 'job_x@w.9'), { recursive: true });
    await rename(`${failed}-new`, failed);
    expect(await names('other', 'x')).toEqual(['failed/job_x@w.9']);
    await rm(failed, { recursive: true });
    expect(await names('other', 'x')).toEqual([]);
  }, 60_000);

  it('publish and claim still refuse an id that another queue holds, through a job run, failed, retried and removed', async () => {
    for (const queue of ['youtube_audio', 'deemix', 'other']) await archiveMany(queue, 1000);
    const audio = join(queuesDir, 'youtube_audio');
    const other = join(queuesDir, 'other');
    const worker = createQueue({ queueDir: audio, watch: false, maxAttempts: 1, maintenance: false });
    queues.push(worker);
    const held = async () => (await existingJob(other, 'song'))?.details?.state;
    // Looked at before anything of the id is there, and again once that listing is kept.
    expect(await held()).toBeUndefined();
    await sleep(SETTLE_MS + 100);
    expect(await held()).toBeUndefined();
    await publishTiny(audio, 'song');
    expect(await held()).toBe('ready');
    const claim = await worker.claim();
    expect(await held()).toBe('claimed');
    await claim!.fail({ stage: 'download', message: 'no', retryable: false });
    expect(await held()).toBe('failed');
    await sleep(SETTLE_MS + 100); // failed/ kept as it is now
    expect(await held()).toBe('failed');
    await retryFailed(audio, 'song');
    expect(await held()).toBe('ready');
    const again = await worker.claim();
    await again!.complete();
    expect(await held()).toBe('succeeded');
    // Publishing the id in another queue is refused, naming where it ran.
    const refused: unknown = await publishTiny(other, 'song').catch((e: unknown) => e);
    expect(isImkError(refused, 'JOB_EXISTS') && refused.message).toContain('in queue youtube_audio');
    await sleep(SETTLE_MS + 100); // succeeded/ kept as it is now
    expect(await held()).toBe('succeeded');
    // An operator removes the archive: the id is free again at once.
    const [archived] = await findJobFolders(audio, 'song');
    await rm(archived!.dir, { recursive: true });
    expect(await held()).toBeUndefined();
    await publishTiny(other, 'song');
  }, 60_000);
});

describe('the archives of a root on a share (sshfs, as docs/operations.md mounts it)', () => {
  it('a job another host claimed a moment ago is in the next look, however long the folder was unchanged', async () => {
    if (!(await sshfsUsable()))
      throw new Error('sshfs, fusermount3 or /dev/fuse is missing: run scripts/system-deps.sh as root');
    const server = await startSshd();
    const work = await mkdtemp(join(tmpdir(), 'imk-archive-listing-sshfs-'));
    const share = await mountSshfs(server, server.dataDir, join(work, 'mnt'), [...SSHFS_QUEUE_OPTIONS]);
    try {
      // The other host writes on the server; this one looks through its mount.
      const claimedThere = join(server.dataDir, 'queues', 'other', 'claimed');
      await mkdir(claimedThere, { recursive: true });
      const queueHere = join(share.path, 'queues', 'other');
      for (let round = 0; round < 5; round++) {
        expect(await findJobFolders(queueHere, `x${round}`)).toEqual([]);
        await sleep(SETTLE_MS + 100);
        expect(await findJobFolders(queueHere, `x${round}`)).toEqual([]);
        // Claimed there a moment later: the folder's attributes here may be a second old (sshfs and the
        // kernel keep them), its listing is asked of the server.
        await mkdir(join(claimedThere, `job_x${round}@b.${round}`));
        expect(
          (await findJobFolders(queueHere, `x${round}`)).map((found) => found.state),
          `round ${round}`,
        ).toEqual(['claimed']);
      }
    } finally {
      await share.unmount();
      await server.stop();
      await rm(work, { recursive: true, force: true });
    }
  }, 60_000);
});
