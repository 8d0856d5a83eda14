import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { clockOffsetEnv } from '@imk/fs-safe/testing';
import { createLogger } from '@imk/log';
import { nodeScript } from '../../../cli/test/bundle/scripts.ts';
import { startReceiver } from '../../test/receiver.ts';
import { runRefreshes } from './run-refreshes.ts';
import { MediaServerSchema } from './schema.ts';

// A loopback stand-in answers like Plex (see refresh.test.ts); the other host is a child process.
const env = { PLEX_TOKEN: 'plex-tok' };

describe("a refresh's retry time written by a host whose clock is off the file system's", () => {
  // refresh-owed/<server>.json's next_at was the writing host's Date.now() plus the wait, judged by the
  // Date.now() of whichever host ran the next pass (state/ is shared): a host a day behind wrote a time
  // already past for the others (a server that stays down asked at every pass), one a day ahead made the
  // others wait a day. Retry times are on the file system's clock now.
  const CHILD = fileURLToPath(new URL('../../test/refresh-child.ts', import.meta.url));

  /** A pass on another host (its clock `offsetMs` off) delivers a file to a Plex that is down: owed. */
  async function owedByOtherHost(offsetMs: number, owedRetryMs: number) {
    const state = await mkdtemp(join(tmpdir(), 'imk-refresh-'));
    let down = true;
    const plex = await startReceiver(() => ({ status: down ? 503 : 200 }));
    const raw = { type: 'plex', url: plex.url, token: { env: 'PLEX_TOKEN' }, section: 2 };
    const other = await execa(
      process.execPath,
      [
        ...nodeScript(CHILD),
        JSON.stringify({ stateDir: state, name: 'px', server: raw, delivered: ['/m/A/a.m4a'], owedRetryMs }),
      ],
      { reject: false, all: true, env: { ...clockOffsetEnv(offsetMs), PLEX_TOKEN: env.PLEX_TOKEN } },
    );
    expect(other.exitCode, String(other.all)).toBe(0);
    expect(plex.requests).toHaveLength(3); // the other host's three tries
    down = false;
    const here = () =>
      runRefreshes({
        servers: { px: MediaServerSchema.parse(raw) },
        delivered: new Map(),
        stateDir: state,
        logger: createLogger('t', { level: 'silent' }),
        env,
        owedRetryMs,
      });
    const done = async () => {
      await plex.close();
      await rm(state, { recursive: true, force: true });
    };
    return { plex, here, done };
  }

  it('by a host a day behind, waits its turn here', async () => {
    const { plex, here, done } = await owedByOtherHost(-86_400_000, 60_000);
    try {
      await here();
      expect(plex.requests).toHaveLength(3); // a minute not yet over on the file system's clock
    } finally {
      await done();
    }
  });

  it('by a host a day ahead, is asked here once due, not a day later', async () => {
    const { plex, here, done } = await owedByOtherHost(86_400_000, 1000);
    try {
      // Due a second after the other host's last try, on the file system's clock.
      const end = performance.now() + 15_000;
      while (plex.requests.length === 3 && performance.now() < end) {
        await here();
        await sleep(100);
      }
      expect(plex.requests.length, 'the owed refresh was not asked again within 15 s').toBe(4);
    } finally {
      await done();
    }
  });
});
