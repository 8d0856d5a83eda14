import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishManyUnsynced, tempRoot } from './helpers.ts';
import { startConsumer, stopAll, type ConsumerProcess } from './processes.ts';

const JOBS = 5000;
const CONSUMERS = 8;

let root: string;
let cleanup: () => Promise<void>;
const started: ConsumerProcess[] = [];
beforeAll(async () => {
  ({ root, cleanup } = await tempRoot('imk-race-'));
});
afterAll(async () => {
  await stopAll(started);
  await cleanup();
});

describe('race: 8 consumer processes, 5,000 jobs', () => {
  it('completes every job exactly once and loses none', async () => {
    const queueDir = join(root, 'queues', 'other');
    const ids = Array.from({ length: JOBS }, (_, i) => `race_${String(i).padStart(5, '0')}`);
    await publishManyUnsynced(queueDir, ids);

    for (let i = 0; i < CONSUMERS; i++)
      started.push(startConsumer(root, { queueDir, consumerId: `c${i}`, leaseMs: 20_000, idleExitMs: 1500 }));
    const results = await Promise.all(started.map((consumer) => consumer.child));
    for (const result of results) expect(result.stderr).toBe('');
    for (const result of results) expect(result.exitCode).toBe(0);

    const claimed = new Map<string, number>();
    const completed = new Map<string, number>();
    const perConsumer: number[] = [];
    for (const consumer of started) {
      const events = await consumer.events();
      perConsumer.push(events.filter((event) => event.kind === 'completed').length);
      for (const event of events) {
        expect(event.kind).not.toBe('lost');
        const map = event.kind === 'claimed' ? claimed : completed;
        map.set(event.jobId, (map.get(event.jobId) ?? 0) + 1);
      }
    }
    expect(completed.size).toBe(JOBS);
    expect([...completed.values()].every((count) => count === 1)).toBe(true);
    expect([...claimed.values()].every((count) => count === 1)).toBe(true);
    // More than one process did real work (the race was real).
    expect(perConsumer.filter((count) => count > 0).length).toBeGreaterThan(1);

    const succeeded = await readdir(join(queueDir, 'succeeded'));
    expect(succeeded.length).toBe(JOBS);
    expect(new Set(succeeded)).toEqual(new Set(ids.map((id) => `job_${id}`)));
    expect((await readdir(queueDir)).sort()).toEqual(['claimed', 'succeeded']);
    expect(await readdir(join(queueDir, 'claimed'))).toEqual([]);
  }, 90_000);
});
