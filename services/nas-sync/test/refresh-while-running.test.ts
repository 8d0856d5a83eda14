import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { audioJob, writeJob } from '@imk/sync/testing';
import { startReceiver } from '../../../packages/notify/test/receiver.ts';
import { runNasSyncOnce, startNasSync } from '../src/index.ts';
import { capturingLogger, tempRoot, writeConfig } from './helpers.ts';

// The running service and a Jellyfin loopback stand-in (Jellyfin cannot be installed here) that holds its
// answer while the test says: a slow or busy server.
let t: Awaited<ReturnType<typeof tempRoot>>;
beforeEach(async () => {
  t = await tempRoot();
});
afterEach(async () => {
  await t.remove();
});

const config = (url: string, nas: string) => `nasSync:
  enabled: true
  pollIntervalSec: 0.2
  remoteRoots:
    audio: ${nas}/Music
  mediaServers:
    jf:
      type: jellyfin
      url: ${url}
      token: { env: JF_TEST_KEY }
      minIntervalSec: 5
  routes:
    - match: { kind: audio }
      to: "\${remoteRoots.audio}/"
      refresh: [jf]
`;

async function until(what: string, ready: () => boolean, ms = 20_000): Promise<void> {
  const end = performance.now() + ms;
  while (!ready()) {
    if (performance.now() > end) throw new Error(`${what}: not within ${ms / 1000} s`);
    await sleep(50);
  }
}

describe('media-server refreshes of the running nas-sync', () => {
  it('a slow server holds no delivery up; files delivered meanwhile go in one refresh after its minIntervalSec; those still waiting at shutdown are sent by the next start', async () => {
    let answer!: () => void;
    const held = new Promise<void>((resolve) => (answer = resolve));
    const jellyfin = await startReceiver((_, i) => ({ status: 204, ...(i === 0 && { holdUntil: held }) }));
    const env = { ...process.env, JF_TEST_KEY: 'jf-key' };
    const delivered = (job: string) => existsSync(join(t.nas, 'Music', `Artist - ${job} (instrumental).m4a`));
    const reported = () =>
      jellyfin.requests.map((r) =>
        (JSON.parse(r.body) as { Updates: { Path: string }[] }).Updates.map((u) => u.Path.split('/').pop()),
      );
    const controller = new AbortController();
    const { logger, lines } = capturingLogger();
    try {
      await writeConfig(t.root, config(jellyfin.url, t.nas));
      const service = startNasSync({ root: t.root, logger, env, signal: controller.signal });
      await writeJob(t.outputs, audioJob('job1'));
      await until('the first refresh', () => jellyfin.requests.length === 1);
      // Jellyfin has not answered: the next jobs are delivered all the same (before, each pass waited for
      // its refresh, up to ~51 s with a server that stays slow).
      await writeJob(t.outputs, audioJob('job2'));
      await writeJob(t.outputs, audioJob('job3'));
      // (Within 10 s: a refresh request gives up after 15 s.)
      await until(
        'job2 and job3 delivered while Jellyfin is slow',
        () => delivered('job2') && delivered('job3'),
        10_000,
      );
      expect(jellyfin.requests).toHaveLength(1);
      answer();
      // One refresh for the files of both passes, once the 5 s since the first one are over (before: one each).
      await until('the refresh of the waiting files', () => jellyfin.requests.length >= 2);
      await sleep(300);
      expect(reported().map((files) => files.sort())).toEqual([
        ['Artist - job1 (instrumental).m4a'],
        ['Artist - job2 (instrumental).m4a', 'Artist - job3 (instrumental).m4a'],
      ]);
      // Delivered within the interval (5 s from the refresh just made), then the service stops: nothing is lost.
      const passes = () => lines().filter((l) => l.msg === 'sync pass done').length;
      const before = passes();
      await writeJob(t.outputs, audioJob('job4'));
      await until('job4 delivered', () => passes() > before);
      controller.abort();
      await service;
      expect(jellyfin.requests).toHaveLength(2);
      await runNasSyncOnce({ root: t.root, logger, env });
      expect(reported().at(-1)).toEqual(['Artist - job4 (instrumental).m4a']);
    } finally {
      answer();
      controller.abort();
      await jellyfin.close();
    }
  }, 60_000);
});
