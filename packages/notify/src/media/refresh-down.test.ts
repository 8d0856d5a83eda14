import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { capturingLogger as captureLines } from '@imk/log/testing';
import { startReceiver } from '../../test/receiver.ts';
import { readNotifyResults } from '../results.ts';
import { refreshOwedDir } from '../store.ts';
import { createRefreshScheduler } from './refresh-scheduler.ts';
import { readRefreshOwed } from './run-refreshes.ts';
import { MediaServerSchema } from './schema.ts';

// The running service's refreshes of a media server that is down, that is cut short by a stop, or that
// runs while more files are delivered. A loopback stand-in answers like Jellyfin (see refresh.test.ts).
const env = { JF_KEY: 'jf-api-key' };
let state: string;
beforeEach(async () => {
  state = await mkdtemp(join(tmpdir(), 'imk-refresh-down-'));
});
afterEach(async () => {
  await rm(state, { recursive: true, force: true });
});

const capturingLogger = () => captureLines<{ msg?: string; level: number }>('notify-test');

async function until(what: string, ready: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = performance.now() + ms;
  while (!(await ready())) {
    if (performance.now() > end) throw new Error(`${what}: not within ${ms / 1000} s`);
    await sleep(20);
  }
}

const jellyfinAt = (url: string, minIntervalSec: number) =>
  MediaServerSchema.parse({ type: 'jellyfin', url, token: { env: 'JF_KEY' }, minIntervalSec });
const owedFile = () => join(refreshOwedDir(state), 'jf.json');
const owed = async () =>
  JSON.parse(await readFile(owedFile(), 'utf8').catch(() => '{}')) as {
    paths?: string[];
    tries?: number;
    next_at?: number;
  };

describe('a media server that is down, a refresh cut by a stop, files delivered during a refresh', () => {
  it('a server down for many tries is said down once and back once, with the count; the health reading counts them', async () => {
    let up = false;
    const jellyfin = await startReceiver(() => ({ status: up ? 204 : 503 }));
    const { logger, lines } = capturingLogger();
    const scheduler = createRefreshScheduler({
      servers: { jf: jellyfinAt(jellyfin.url, 0.05) },
      stateDir: state,
      logger,
      env,
      attempts: 1,
    });
    try {
      for (let i = 1; i <= 4; i++) {
        scheduler.add(new Map([['jf', [`/m/${String(i)}.m4a`]]]));
        await until(`try ${String(i)}`, async () => (await owed()).tries === i);
      }
      expect(jellyfin.requests).toHaveLength(4);
      const said = () =>
        lines()
          .filter((l) => l.level >= 30)
          .map((l) => l.msg ?? '');
      // One line said it is down (with why); no line per failed try (each is still recorded).
      expect(said().filter((m) => m.includes('media server "jf" is down'))).toHaveLength(1);
      expect(said().find((m) => m.includes('is down'))).toContain('HTTP 503');
      expect(said().filter((m) => m.startsWith('media server refresh failed'))).toEqual([]);
      expect((await readNotifyResults(state)).filter((r) => r.event === 'refresh' && !r.ok)).toHaveLength(4);
      expect(await readRefreshOwed(state, ['jf'])).toMatchObject([
        { server: 'jf', tries: 4, files: 4, lastError: expect.stringContaining('503') as unknown },
      ]);

      up = true;
      scheduler.add(new Map([['jf', ['/m/5.m4a']]]));
      await until('answers again', () => said().some((m) => m.includes('"jf" answers again')));
      expect(said().filter((m) => m.includes('answers again'))).toEqual([
        'media server "jf" answers again (it was down; 4 refreshes failed meanwhile)',
      ]);
      expect(await readRefreshOwed(state, ['jf'])).toMatchObject([{ tries: 0, files: 0 }]);
    } finally {
      await scheduler.close();
      await jellyfin.close();
    }
  });

  it('a server that hangs at every try is said slow once and down once, not at each try', async () => {
    let answer!: () => void;
    const held = new Promise<void>((resolve) => (answer = resolve));
    const jellyfin = await startReceiver(() => ({ status: 204, holdUntil: held }));
    const { logger, lines } = capturingLogger();
    const scheduler = createRefreshScheduler({
      servers: { jf: jellyfinAt(jellyfin.url, 0.05) },
      stateDir: state,
      logger,
      env,
      attempts: 1,
      timeoutMs: 300,
      slowAfterMs: 50,
    });
    try {
      for (let i = 1; i <= 3; i++) {
        scheduler.add(new Map([['jf', [`/m/${String(i)}.m4a`]]]));
        await until(`try ${String(i)}`, async () => (await owed()).tries === i);
      }
      const said = lines()
        .filter((l) => l.level >= 40)
        .map((l) => (l.msg ?? '').split(':')[0]);
      expect(said).toEqual(['media server "jf" is slow', 'media server "jf" is down']);
    } finally {
      answer();
      await scheduler.close();
      await jellyfin.close();
    }
  });

  it('a refresh cut short by the stop is no failed try: its files are owed to the next start, nothing recorded as failed', async () => {
    let answer!: () => void;
    const held = new Promise<void>((resolve) => (answer = resolve));
    const jellyfin = await startReceiver(() => ({ status: 204, holdUntil: held }));
    const stop = new AbortController();
    const { logger, lines } = capturingLogger();
    const scheduler = createRefreshScheduler({
      servers: { jf: jellyfinAt(jellyfin.url, 0) },
      stateDir: state,
      logger,
      env,
      signal: stop.signal,
    });
    try {
      scheduler.add(new Map([['jf', ['/m/cut.m4a']]]));
      await until('the refresh is under way', () => jellyfin.requests.length === 1);
      stop.abort();
      await scheduler.close();
      expect(await owed()).toMatchObject({ paths: ['/m/cut.m4a'], tries: 0, next_at: 0 });
      expect((await readNotifyResults(state)).filter((r) => !r.ok)).toEqual([]);
      expect(lines().filter((l) => l.level >= 40)).toEqual([]);
    } finally {
      answer();
      await jellyfin.close();
    }
  });

  it('files delivered while a refresh runs are owed at once (a crash then loses none), and stay owed after it', async () => {
    let answer!: () => void;
    const held = new Promise<void>((resolve) => (answer = resolve));
    const jellyfin = await startReceiver((_, i) => ({ status: 204, ...(i === 0 && { holdUntil: held }) }));
    const { logger } = capturingLogger();
    const scheduler = createRefreshScheduler({
      servers: { jf: jellyfinAt(jellyfin.url, 30) },
      stateDir: state,
      logger,
      env,
    });
    try {
      scheduler.add(new Map([['jf', ['/m/first.m4a']]]));
      await until('the refresh is under way', () => jellyfin.requests.length === 1);
      scheduler.add(new Map([['jf', ['/m/during.m4a']]]));
      // Written while the first refresh still waits for its answer (before: only once it had ended).
      await until(
        'owed while the refresh runs',
        async () => (await owed()).paths?.includes('/m/during.m4a') === true,
      );
      answer();
      await until('the first refresh settled', async () => !(await owed()).paths?.includes('/m/first.m4a'));
      // The refresh settled what it reported, not what was delivered meanwhile (it waits for minIntervalSec).
      expect((await owed()).paths).toEqual(['/m/during.m4a']);
      expect(jellyfin.requests).toHaveLength(1);
    } finally {
      answer();
      await scheduler.close();
      await jellyfin.close();
    }
  });
});
