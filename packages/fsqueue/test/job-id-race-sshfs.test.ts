import { link, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mountSshfs, sshfsUsable, startSshd, type SshdServer, type SshfsMount } from '@imk/sync/testing';
import { createQueue, listRejected, type Queue } from '../src/index.ts';
import { publishManyUnsynced } from './helpers.ts';

// Two hosts share queues/ over a network file system (here two sshfs mounts of one export, each with its
// own SFTP session and caches), each working its own queue. A bundle of one job id lands in both queues,
// and both hosts claim it at the same instant: one must run it and the other reject its bundle naming the
// winner. Before the owner file (job-id-owner.ts), each saw the other's claim in claimed/ and both rejected.
let server: SshdServer;
let work: string;
const mounts: SshfsMount[] = [];
const queues: Queue[] = [];

afterAll(async () => {
  for (const queue of queues) await queue.close();
  for (const mount of mounts) await mount.unmount();
  await server?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('one job id claimed in two queues by two hosts at the same instant (two sshfs mounts)', () => {
  it('runs it on one host and rejects the other bundle naming the winner, every round', async () => {
    if (!(await sshfsUsable()))
      throw new Error('sshfs, fusermount3 or /dev/fuse is missing: run scripts/system-deps.sh as root');
    server = await startSshd();
    work = await mkdtemp(join(tmpdir(), 'imk-id-race-sshfs-'));
    for (const name of ['host-a', 'host-b'])
      mounts.push(await mountSshfs(server, server.dataDir, join(work, name)));
    const [a, b] = mounts as [SshfsMount, SshfsMount];
    const exported = (queue: string): string => join(server.dataDir, 'queues', queue);
    // The share makes hard links (SFTP's hardlink@openssh.com), and refuses a taken name: the owner file's
    // link() is the arbiter here, not the look-then-rename used where links cannot be made.
    await writeFile(join(a.path, 'probe'), 'x');
    await link(join(a.path, 'probe'), join(a.path, 'probe-link'));
    await expect(link(join(b.path, 'probe'), join(b.path, 'probe-link'))).rejects.toMatchObject({
      code: 'EEXIST',
    });
    const hostA = createQueue({
      queueDir: join(a.path, 'queues', 'youtube_audio'),
      consumerId: 'a',
      watch: false,
    });
    const hostB = createQueue({ queueDir: join(b.path, 'queues', 'other'), consumerId: 'b', watch: false });
    queues.push(hostA, hostB);
    for (let round = 0; round < 8; round++) {
      const id = `both_${round}`;
      await publishManyUnsynced(exported('youtube_audio'), [id]);
      await publishManyUnsynced(exported('other'), [id]);
      const claims = await Promise.all([hostA.claim(), hostB.claim()]);
      const won = claims.filter((claim) => claim !== undefined);
      expect(won.map((claim) => claim.jobId)).toEqual([id]);
      const winner = won[0]!;
      const loser = winner.queue === 'youtube_audio' ? 'other' : 'youtube_audio';
      const rejected = (await listRejected(exported(loser))).find((folder) => folder.jobId === id);
      const reason = await readFile(join(rejected!.dir, 'imk-rejection.json'), 'utf8');
      expect(reason).toContain(`the job of that id in queue ${winner.queue} is being processed`);
      await winner.complete();
    }
  }, 120_000);
});
