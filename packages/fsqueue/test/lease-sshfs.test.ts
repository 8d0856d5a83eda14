import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mountSshfs, sshfsUsable, startSshd, type SshdServer, type SshfsMount } from '@imk/sync/testing';
import { createQueue, findJob, type Queue } from '../src/index.ts';
import { publishTiny, sleep } from './helpers.ts';

// The lease rule over a real network filesystem: a holder heartbeats through its own sshfs mount, an
// observer watches through another (its own SFTP session and caches). The observer must never expire a
// claim whose counter moves, and must expire one that stopped only after a full lease on its own clock.
// Long next to the 300 ms heartbeat: holder and observer share this test process, so a stall of it (a
// loaded machine) stops both, and on resuming the observer may look before the holder's overdue beat is
// written through sshfs. A 2 s lease lost the claim to 2.5 s stalls; this one takes stalls of seconds.
const LEASE_MS = 5000;
let server: SshdServer;
let work: string;
const mounts: SshfsMount[] = [];
const queues: Queue[] = [];

// The sshd and the two mounts are made inside the test, not in a beforeAll: vitest reports a test whose
// beforeAll failed as "skipped" (the error only under Failed Suites), and a skipped lease test proves nothing.
// A set-up that fails here fails the test, with its error.
async function mountBoth(): Promise<[SshfsMount, SshfsMount]> {
  if (!(await sshfsUsable()))
    throw new Error('sshfs, fusermount3 or /dev/fuse is missing: run scripts/system-deps.sh as root');
  server = await startSshd();
  work = await mkdtemp(join(tmpdir(), 'imk-lease-sshfs-'));
  for (const name of ['holder', 'observer'])
    mounts.push(await mountSshfs(server, server.dataDir, join(work, name)));
  return mounts as [SshfsMount, SshfsMount];
}

afterAll(async () => {
  for (const queue of queues) await queue.close();
  for (const mount of mounts) await mount.unmount();
  await server?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the lease over sshfs (two mounts of one export)', () => {
  it('keeps a heartbeating claim for several leases, and expires a silent one after a full lease', async () => {
    const [holderMount, observerMount] = await mountBoth();
    await publishTiny(join(server.dataDir, 'queues', 'other'), 'remote');
    const options = { leaseMs: LEASE_MS, maintenance: false, watch: false } as const;
    const holder = createQueue({
      ...options,
      queueDir: join(holderMount.path, 'queues', 'other'),
      consumerId: 'holder',
      heartbeatMs: 300,
    });
    const observer = createQueue({
      ...options,
      queueDir: join(observerMount.path, 'queues', 'other'),
      consumerId: 'observer',
    });
    queues.push(holder, observer);
    const claim = await holder.claim();
    expect(claim?.jobId).toBe('remote');

    const until = performance.now() + 3 * LEASE_MS;
    while (performance.now() < until) {
      expect(await observer.recoverExpired()).toBe(0);
      await sleep(200);
    }
    expect(await claim!.confirm()).toBe(true);

    await holder.close(); // heartbeats stop: a crashed or stopped host
    const stoppedAt = performance.now();
    let recovered = 0;
    while (recovered === 0 && performance.now() - stoppedAt < 6 * LEASE_MS) {
      recovered = await observer.recoverExpired();
      if (recovered === 0) await sleep(100);
    }
    const waited = performance.now() - stoppedAt;
    expect(recovered).toBe(1);
    expect(waited).toBeGreaterThanOrEqual(LEASE_MS);
    expect((await findJob(join(server.dataDir, 'queues', 'other'), 'remote'))?.state).toBe('ready');
    expect(await claim!.confirm()).toBe(false);
    const again = await observer.claim();
    expect(again).toMatchObject({ jobId: 'remote', attempt: 2 });
    await again!.complete();
  }, 120_000);
});
