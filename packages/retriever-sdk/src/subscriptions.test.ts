import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  addDashboardSubscription,
  formatDuration,
  nextRunAt,
  parseEvery,
  retryDelayMs,
  readDashboardSubscriptions,
  subscriptionPaths,
  SubscriptionListSchema,
} from './subscriptions.ts';

describe('parseEvery', () => {
  it('reads s, m, h, d and combinations; refuses anything else', () => {
    expect(parseEvery('6h')).toBe(6 * 3_600_000);
    expect(parseEvery('1h30m')).toBe(90 * 60_000);
    expect(parseEvery('1d')).toBe(86_400_000);
    for (const bad of ['', '6', 'h', '6 hours', '-1h', '1.5h']) expect(parseEvery(bad), bad).toBeUndefined();
  });
});

describe('the retry wait after a run that failed whole', () => {
  const MIN = 60_000;
  it('starts at the first wait, doubles, is never longer than every, and after a success is every again', () => {
    expect([1, 2, 3, 4, 5, 60].map((n) => retryDelayMs(60 * MIN, 5 * MIN, n) / MIN)).toEqual([
      5, 10, 20, 40, 60, 60,
    ]);
    // A first wait longer than every: every.
    expect(retryDelayMs(10 * MIN, 30 * MIN, 1)).toBe(10 * MIN);
    const last = '2026-01-01T00:00:00.000Z';
    const base = { id: 'x', url: 'u', last_run_at: last, fetched: [], failed: [] };
    const failed = {
      ...base,
      ok: false,
      error: { code: 'NOT_FOUND', message: 'gone' },
      failures_in_a_row: 2,
    };
    expect(nextRunAt({ every: '6h' }, failed, 5 * MIN) - Date.parse(last)).toBe(10 * MIN);
    expect(nextRunAt({ every: '6h' }, { ...base, ok: true }, 5 * MIN) - Date.parse(last)).toBe(360 * MIN);
    // Entries that failed while the list was read: not a failed run, every as usual.
    const partly = { ...base, ok: false, failed: [{ id: 'a', code: 'X', message: 'y' }] };
    expect(nextRunAt({ every: '6h' }, partly, 5 * MIN) - Date.parse(last)).toBe(360 * MIN);
  });

  it('formatDuration reads back through parseEvery', () => {
    for (const text of ['5m', '1h30m', '1d', '2d3h4m5s'])
      expect(formatDuration(parseEvery(text)!)).toBe(text);
  });
});

describe('the dashboard subscriptions file', () => {
  it('adds once, keeps earlier entries as they were, and names the file when it is broken', async () => {
    const state = await mkdtemp(join(tmpdir(), 'imk-subs-file-'));
    try {
      const first = await addDashboardSubscription(state, { url: 'https://a.example/list' }, new Date(0));
      expect(first).toMatchObject({ added: true, subscription: { every: '6h', limit: 10 } });
      await addDashboardSubscription(state, { url: 'https://b.example/list', mode: 'video' });
      const again = await addDashboardSubscription(state, { url: 'https://a.example/list' });
      expect(again).toMatchObject({ id: first.id, added: false });
      const file = subscriptionPaths(state).dashboardFile;
      const saved = JSON.parse(await readFile(file, 'utf8')) as { subscriptions: { added_at: string }[] };
      expect(saved.subscriptions[0]?.added_at).toBe(new Date(0).toISOString());
      expect((await readDashboardSubscriptions(state)).map((s) => s.url)).toEqual([
        'https://a.example/list',
        'https://b.example/list',
      ]);

      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, '{"schema_version":1,"subscriptions":[{"url":"ftp://x"}]}');
      await expect(readDashboardSubscriptions(state)).rejects.toMatchObject({
        code: 'INVALID_SUBSCRIPTIONS_FILE',
        message: expect.stringContaining(file),
      });
    } finally {
      await rm(state, { recursive: true, force: true });
    }
  });

  it('takes a link pasted with spaces or a line end around it as the same list, not a second subscription', async () => {
    const state = await mkdtemp(join(tmpdir(), 'imk-subs-space-'));
    try {
      const first = await addDashboardSubscription(state, { url: 'https://a.example/list', every: '1h' });
      for (const url of [
        'https://a.example/list ',
        '  https://a.example/list',
        'https://a.example/list\r\n',
      ]) {
        const again = await addDashboardSubscription(state, { url, every: '1h' });
        expect(again, JSON.stringify(url)).toMatchObject({
          id: first.id,
          added: false,
          subscription: { url: 'https://a.example/list' },
        });
      }
      expect((await readDashboardSubscriptions(state)).map((s) => s.url)).toEqual(['https://a.example/list']);
      expect(() =>
        SubscriptionListSchema.parse([{ url: 'https://a.example/list' }, { url: 'https://a.example/list ' }]),
      ).toThrow(/the same list and mode as subscriptions\.0/);
    } finally {
      await rm(state, { recursive: true, force: true });
    }
  });
});
