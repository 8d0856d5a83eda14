import { describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { SNAPSHOT_DUTY, createSnapshotHub } from './snapshot-hub.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const logger = createLogger('snapshot-hub-test', { level: 'silent' });

/** A snapshot that takes `ms` (a queue of thousands of waiting jobs), recording when each look ran. */
function slowSnapshots(ms: number) {
  const looks: { start: number; took: number }[] = [];
  return {
    looks,
    take: async () => {
      const start = performance.now();
      await sleep(ms);
      looks.push({ start, took: performance.now() - start });
      return { look: looks.length };
    },
  };
}

describe("live updates (the dashboard's server-sent snapshots)", () => {
  it('spend at most a fifth of the time taking slow snapshots, rather than taking them back to back', async () => {
    // Before, with snapshots slower than the period, each started as soon as the last ended: a page open
    // on a queue of 5,000 waiting jobs kept ~45% of a core busy in the dashboard process.
    const { looks, take } = slowSnapshots(150);
    const sent: string[] = [];
    const unsubscribe = createSnapshotHub({ take, intervalMs: 100, logger }).subscribe((text) =>
      sent.push(text),
    );
    while (looks.length < 4) await sleep(20);
    unsubscribe();
    for (let i = 1; i < looks.length; i++) {
      const gap = looks[i]!.start - looks[i - 1]!.start;
      // Timers may fire a millisecond early.
      expect(gap, `look ${i}`).toBeGreaterThanOrEqual(looks[i - 1]!.took / SNAPSHOT_DUTY - 5);
    }
    expect(sent.length).toBeGreaterThanOrEqual(3);
  });

  it('come at the configured period while snapshots are quick, and stop when the last page leaves', async () => {
    const { looks, take } = slowSnapshots(0);
    const hub = createSnapshotHub({ take, intervalMs: 100, logger });
    const sent: string[] = [];
    const unsubscribe = hub.subscribe((text) => sent.push(text));
    while (looks.length < 3) await sleep(10);
    unsubscribe();
    expect(looks[2]!.start - looks[1]!.start).toBeGreaterThanOrEqual(95);
    const after = looks.length;
    await sleep(400);
    expect(looks.length).toBe(after);
    // A page that comes back gets a fresh snapshot at once.
    const again: string[] = [];
    const stop = hub.subscribe((text) => again.push(text));
    while (again.length === 0) await sleep(10);
    stop();
  });
});
