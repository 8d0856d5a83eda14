import { kill } from 'node:process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findJob } from '../src/index.ts';
import { publishTiny, tempRoot } from './helpers.ts';
import { startConsumer, stopAll, waitFor, type ConsumerProcess } from './processes.ts';

let root: string;
let cleanup: () => Promise<void>;
let queueDir: string;
const started: ConsumerProcess[] = [];
beforeEach(async () => {
  ({ root, cleanup } = await tempRoot('imk-crash-'));
  queueDir = join(root, 'queues', 'youtube_audio');
});
afterEach(async () => {
  await stopAll(started.splice(0));
  await cleanup();
});

function consumer(args: Omit<Parameters<typeof startConsumer>[1], 'queueDir'>): ConsumerProcess {
  const process = startConsumer(root, { queueDir, ...args });
  started.push(process);
  return process;
}

describe('crash: a consumer dies holding claims', () => {
  it('SIGKILL: its jobs return to ready after the lease and another consumer completes them', async () => {
    const ids = Array.from({ length: 6 }, (_, i) => `k${i}`);
    for (const id of ids) await publishTiny(queueDir, id);
    const victim = consumer({ consumerId: 'victim', leaseMs: 1500, hold: true, maxClaims: 3 });
    await waitFor('the victim to hold 3 claims', async () => (await victim.events()).length === 3);
    const held = (await victim.events()).map((event) => event.jobId);
    expect((await readdir(join(queueDir, 'claimed'))).length).toBe(3);
    victim.child.kill('SIGKILL');
    await victim.child;

    const rescuer = consumer({ consumerId: 'rescuer', leaseMs: 1500, idleExitMs: 5000 });
    const result = await rescuer.child;
    expect(result.exitCode).toBe(0);
    const events = await rescuer.events();
    const completed = events.filter((event) => event.kind === 'completed').map((event) => event.jobId);
    expect(completed.sort()).toEqual(ids);
    for (const event of events.filter((e) => e.kind === 'claimed')) {
      // the victim's jobs come back as attempt 2, the others are first attempts
      expect(event.attempt).toBe(held.includes(event.jobId) ? 2 : 1);
    }
    for (const id of ids) expect((await findJob(queueDir, id))?.state).toBe('succeeded');
    expect(await readdir(join(queueDir, 'claimed'))).toEqual([]);
  }, 60_000);

  it('SIGSTOP past the lease, then SIGCONT: the stopped holder does not archive the job re-claimed by another', async () => {
    await publishTiny(queueDir, 'frozen');
    const sleeper = consumer({ consumerId: 'sleeper', leaseMs: 1000, heartbeatMs: 250, workMs: 2500 });
    await waitFor('the sleeper to claim', async () => (await sleeper.events()).length === 1);
    kill(sleeper.child.pid!, 'SIGSTOP');

    const other = consumer({ consumerId: 'other', leaseMs: 1000, idleExitMs: 4000 });
    await waitFor('the other consumer to complete the job', async () =>
      (await other.events()).some((event) => event.kind === 'completed'),
    );
    kill(sleeper.child.pid!, 'SIGCONT');
    await waitFor('the sleeper to notice', async () => (await sleeper.events()).length >= 2, 15_000);

    const sleeperEvents = await sleeper.events();
    expect(sleeperEvents.map((event) => event.kind)).toEqual(['claimed', 'lost']);
    const otherEvents = await other.events();
    expect(otherEvents.find((event) => event.kind === 'claimed')?.attempt).toBe(2);
    // Exactly one archive of the job, completed by the other consumer.
    expect(await readdir(join(queueDir, 'succeeded'))).toEqual(['job_frozen']);
    const archived = await findJob(queueDir, 'frozen');
    const result = JSON.parse(await readFile(join(archived!.dir, 'imk-result.json'), 'utf8')) as {
      consumer: string;
    };
    expect(result.consumer).toBe('other');
    expect(await readdir(join(queueDir, 'claimed'))).toEqual([]);
    expect((await readdir(queueDir)).filter((name) => name.startsWith('job_'))).toEqual([]);
  }, 60_000);
});
