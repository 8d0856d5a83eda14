import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { startReceiver } from '../test/receiver.ts';
import { NotifyConfigSchema } from './config.ts';
import { DIGEST_AFTER } from './digest.ts';
import { jobEvent } from './events.ts';
import { createNotifier } from './notifier.ts';
import { readNotifyResults } from './results.ts';
import { outboxDir } from './store.ts';

// A burst of jobs (a playlist of 200 fetched at once, a queue of duplicates): a phone (ntfy, apprise) is
// sent at most DIGEST_AFTER messages a minute, the rest in one summary; a webhook (a program) gets each
// event. Before, the phone got 200 pushes, and ntfy.sh refuses a burst past 60 with HTTP 429.
const logger = createLogger('notify-test', { level: 'silent' });
let state: string;
beforeEach(async () => {
  state = await mkdtemp(join(tmpdir(), 'imk-notify-burst-'));
});
afterEach(async () => {
  await rm(state, { recursive: true, force: true });
});

const titleOf = (body: string) => (JSON.parse(body) as { title: string }).title;

describe('a burst of events', () => {
  it('200 jobs at once: the phone gets one summary, the webhook every event, nothing is left', async () => {
    const [ntfy, hook] = await Promise.all([startReceiver(), startReceiver()]);
    try {
      const config = NotifyConfigSchema.parse({
        targets: [
          { type: 'ntfy', name: 'phone', server: ntfy.url, topic: 'imk' },
          { type: 'webhook', name: 'hass', url: hook.url },
        ],
      });
      const notifier = createNotifier({ stateDir: state, config, logger });
      for (let i = 0; i < 197; i++)
        await notifier.emit(
          jobEvent('job.succeeded', { jobId: `job_${String(i)}`, title: `Song ${String(i)}` }),
        );
      for (let i = 0; i < 3; i++)
        await notifier.emit(jobEvent('job.failed', { jobId: `job_f${String(i)}`, reason: 'HTTP 403' }));
      await notifier.drain();

      expect(ntfy.requests).toHaveLength(1);
      const summary = JSON.parse(ntfy.requests[0]?.body ?? '{}') as Record<string, unknown>;
      expect(summary.title).toBe('197 done, 3 failed (200 notifications at once)');
      expect(summary.priority).toBe(4); // a failure among them: high, as a single failure is
      const lines = String(summary.message).split('\n');
      expect(lines[0]).toBe('Done: Song 0');
      expect(lines).toHaveLength(21);
      expect(lines[20]).toBe('… and 180 more');
      expect(hook.requests).toHaveLength(200);
      expect(await readdir(outboxDir(state))).toEqual([]);
      const results = await readNotifyResults(state, 500);
      const phone = results.filter((r) => r.target === 'phone');
      expect(phone).toHaveLength(200);
      expect(phone.every((r) => r.ok && r.final && r.title?.endsWith('(in a summary of 200)'))).toBe(true);
    } finally {
      await Promise.all([ntfy.close(), hook.close()]);
    }
  });

  it('events coming one after another: a few sent alone, then held, then one summary once the minute is over', async () => {
    const ntfy = await startReceiver();
    let clock = Date.parse('2026-06-01T12:00:00Z');
    try {
      const config = NotifyConfigSchema.parse({
        targets: [{ type: 'ntfy', name: 'phone', server: ntfy.url, topic: 'imk' }],
      });
      const notifier = createNotifier({ stateDir: state, config, logger, now: () => clock });
      const emit = (id: string) => notifier.emit(jobEvent('job.succeeded', { jobId: id, title: id }));
      for (let i = 0; i < DIGEST_AFTER; i++) {
        await emit(`alone_${String(i)}`);
        await notifier.drain();
        clock += 1000;
      }
      expect(ntfy.requests.map((r) => titleOf(r.body))).toEqual(
        Array.from({ length: DIGEST_AFTER }, (_, i) => `Done: alone_${String(i)}`),
      );
      // The minute's messages are spent: the next events wait (no try counted), however many passes run.
      for (const id of ['held_0', 'held_1', 'held_2']) {
        await emit(id);
        await notifier.drain();
        clock += 1000;
      }
      expect(ntfy.requests).toHaveLength(DIGEST_AFTER);
      expect(await readdir(outboxDir(state))).toHaveLength(3);
      // A minute after the first: what waited goes in one message.
      clock += 60_000;
      await notifier.drain();
      expect(ntfy.requests.map((r) => titleOf(r.body)).slice(DIGEST_AFTER)).toEqual([
        '3 done (3 notifications at once)',
      ]);
      expect(await readdir(outboxDir(state))).toEqual([]);
    } finally {
      await ntfy.close();
    }
  });

  it('a summary that fails is a failed try of each event in it: all are tried again together', async () => {
    let up = false;
    const ntfy = await startReceiver(() => ({ status: up ? 200 : 503 }));
    let clock = Date.parse('2026-06-01T12:00:00Z');
    try {
      const config = NotifyConfigSchema.parse({
        targets: [{ type: 'ntfy', name: 'phone', server: ntfy.url, topic: 'imk' }],
        retry: { attempts: 3, firstDelaySec: 10 },
      });
      const notifier = createNotifier({ stateDir: state, config, logger, now: () => clock });
      for (let i = 0; i < 8; i++)
        await notifier.emit(jobEvent('job.succeeded', { jobId: `job_${String(i)}` }));
      await notifier.drain();
      expect(ntfy.requests).toHaveLength(1);
      let results = await readNotifyResults(state);
      expect(results.map((r) => [r.ok, r.final, r.attempt])).toEqual(Array(8).fill([false, false, 1]));
      clock += 61_000;
      up = true;
      await notifier.drain();
      expect(ntfy.requests).toHaveLength(2);
      expect(titleOf(ntfy.requests[1]?.body ?? '{}')).toBe('8 done (8 notifications at once)');
      results = await readNotifyResults(state);
      expect(results.slice(0, 8).map((r) => [r.ok, r.final, r.attempt])).toEqual(
        Array(8).fill([true, true, 2]),
      );
      expect(await readdir(outboxDir(state))).toEqual([]);
    } finally {
      await ntfy.close();
    }
  });
});
