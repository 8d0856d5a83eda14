import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { capturingLogger as captureLines } from '@imk/log/testing';
import { startReceiver } from '../../test/receiver.ts';
import { createRefreshScheduler } from './refresh-scheduler.ts';
import { readRefreshOwed } from './run-refreshes.ts';
import { MediaServerSchema } from './schema.ts';

// `imk sync --once` (from cron, say) makes a refresh scheduler of its own for each run and closes it at the
// end (nas-sync's after-pass.ts). A server's health was only in that scheduler's memory: each run began with
// the server taken for well, so a server down over several runs was said "down" at each, and the run that
// found it back said nothing. Its owed file (refresh-owed/, failed tries in a row) now says where it stood.
// A loopback stand-in answers like Jellyfin (see refresh.test.ts).
const env = { JF_KEY: 'jf-api-key' };
let state: string;
beforeEach(async () => {
  state = await mkdtemp(join(tmpdir(), 'imk-refresh-runs-'));
});
afterEach(async () => {
  await rm(state, { recursive: true, force: true });
});

describe('a media server down across separate runs (imk sync --once)', () => {
  it('is said down at the run that found it down, and answers again at the run that finds it back, once', async () => {
    let up = false;
    const jellyfin = await startReceiver(() => ({ status: up ? 204 : 503 }));
    const server = MediaServerSchema.parse({ type: 'jellyfin', url: jellyfin.url, token: { env: 'JF_KEY' } });
    const { logger, lines } = captureLines<{ msg?: string; level: number }>('notify-test');
    // One run as after-pass.ts makes it: a scheduler of its own, handed what the pass delivered, closed.
    const run = async (file: string): Promise<string[]> => {
      const before = lines().length;
      const scheduler = createRefreshScheduler({
        servers: { jf: server },
        stateDir: state,
        logger,
        env,
        attempts: 1,
      });
      scheduler.add(new Map([['jf', [file]]]));
      await scheduler.close();
      return lines()
        .slice(before)
        .filter((line) => line.level >= 30 && (line.msg ?? '').includes('"jf"'))
        .map((line) => (line.msg ?? '').split(':')[0]!);
    };
    try {
      expect(await run('/m/1.m4a')).toEqual(['media server "jf" is down']);
      expect(await run('/m/2.m4a')).toEqual([]);
      expect(await readRefreshOwed(state, ['jf'])).toMatchObject([{ tries: 2, files: 2 }]);
      up = true;
      expect(await run('/m/3.m4a')).toEqual([
        'media server "jf" answers again (it was down; 2 refreshes failed meanwhile)',
      ]);
      expect(await readRefreshOwed(state, ['jf'])).toMatchObject([{ tries: 0, files: 0 }]);
      expect(await run('/m/4.m4a')).toEqual([]);
      expect(jellyfin.requests).toHaveLength(4);
    } finally {
      await jellyfin.close();
    }
  });
});
