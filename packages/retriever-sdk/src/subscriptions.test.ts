import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  addDashboardSubscription,
  parseEvery,
  readDashboardSubscriptions,
  subscriptionPaths,
} from './subscriptions.ts';

describe('parseEvery', () => {
  it('reads s, m, h, d and combinations; refuses anything else', () => {
    expect(parseEvery('6h')).toBe(6 * 3_600_000);
    expect(parseEvery('1h30m')).toBe(90 * 60_000);
    expect(parseEvery('1d')).toBe(86_400_000);
    for (const bad of ['', '6', 'h', '6 hours', '-1h', '1.5h']) expect(parseEvery(bad), bad).toBeUndefined();
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
});
