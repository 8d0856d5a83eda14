import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { capturingLogger as captureLines } from '@imk/log/testing';
import { startReceiver } from '../../test/receiver.ts';
import { refreshOwedDir } from '../store.ts';
import { createRefreshScheduler } from './refresh-scheduler.ts';
import { MediaServerSchema } from './schema.ts';

// A loopback stand-in answers like Jellyfin (see refresh.test.ts); it holds its first answer: a slow server.
const env = { JF_KEY: 'jf-api-key' };

const capturingLogger = () => captureLines<{ msg?: string }>('notify-test');

describe('the running service’s media-server refreshes (refresh-scheduler)', () => {
  it('many passes within minIntervalSec make one more refresh; a slow server is said once; what waits at close is kept for the next start', async () => {
    const state = await mkdtemp(join(tmpdir(), 'imk-refresh-sched-'));
    let answer!: () => void;
    const held = new Promise<void>((resolve) => (answer = resolve));
    const jellyfin = await startReceiver((_, i) => ({ status: 204, ...(i === 0 && { holdUntil: held }) }));
    const { logger, lines } = capturingLogger();
    const server = MediaServerSchema.parse({
      type: 'jellyfin',
      url: jellyfin.url,
      token: { env: 'JF_KEY' },
      minIntervalSec: 0.5,
    });
    const scheduler = createRefreshScheduler({
      servers: { jf: server },
      stateDir: state,
      logger,
      env,
      slowAfterMs: 100,
    });
    const paths = () =>
      jellyfin.requests.map((r) =>
        (JSON.parse(r.body) as { Updates: { Path: string }[] }).Updates.map((u) => u.Path),
      );
    try {
      scheduler.add(new Map([['jf', ['/m/1.m4a']]]));
      for (let i = 2; i <= 20; i++) scheduler.add(new Map([['jf', [`/m/${i}.m4a`]]]));
      // Said once the first try has gone unanswered for slowAfterMs (a timer a loaded machine may run late:
      // waited for, not slept on), while the other passes wait for it. The timer starts as the try asks, so
      // it may fire before this server has read the request (a first fetch loads its HTTP client): both
      // are waited for.
      const saidSlow = () => lines().some((l) => (l.msg ?? '').includes('is slow'));
      for (let i = 0; i < 250 && !(saidSlow() && jellyfin.requests.length > 0); i++) await sleep(20);
      expect(jellyfin.requests).toHaveLength(1);
      const slow = lines().filter((l) => (l.msg ?? '').includes('is slow'));
      expect(slow).toHaveLength(1);
      expect(slow[0]?.msg).toContain('media server "jf" is slow');
      answer();
      for (let i = 0; i < 100 && jellyfin.requests.length < 2; i++) await sleep(50);
      await sleep(100);
      expect(paths()).toEqual([['/m/1.m4a'], Array.from({ length: 19 }, (_, i) => `/m/${i + 2}.m4a`)]);
      expect(lines().some((l) => (l.msg ?? '').includes('"jf" answers again'))).toBe(true);
      // Within the interval again: written to refresh-owed/ at once (a process killed now leaves it owed),
      // and at close due at once for the next start.
      scheduler.add(new Map([['jf', ['/m/late.m4a']]]));
      const owed = () => readFile(join(refreshOwedDir(state), 'jf.json'), 'utf8').catch(() => '{}');
      for (let i = 0; i < 100 && !(await owed()).includes('late'); i++) await sleep(20);
      expect(JSON.parse(await owed())).toMatchObject({ paths: ['/m/late.m4a'] });
      await scheduler.close();
      expect(jellyfin.requests).toHaveLength(2);
      expect(JSON.parse(await owed())).toMatchObject({ paths: ['/m/late.m4a'], next_at: 0 });
    } finally {
      answer();
      await scheduler.close();
      await jellyfin.close();
      await rm(state, { recursive: true, force: true });
    }
  });
});
