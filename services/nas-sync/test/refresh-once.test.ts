import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRefreshOwed } from '@imk/notify';
import { audioJob, writeJob } from '@imk/sync/testing';
import { join } from 'node:path';
import { startReceiver } from '../../../packages/notify/test/receiver.ts';
import { runNasSyncOnce } from '../src/index.ts';
import { capturingLogger, tempRoot, writeConfig } from './helpers.ts';

// `imk sync --once` ran its media-server refreshes without the running service's scheduler: a server that was
// down got a warning per failed try ("media server refresh failed; will retry", twice, then an error), where
// `imk up` says "down" once and "answers again" once. One pass now goes through a scheduler of its own, the
// same rule. A Jellyfin loopback stand-in (Jellyfin cannot be installed here) that answers 503.
let t: Awaited<ReturnType<typeof tempRoot>>;
beforeEach(async () => {
  t = await tempRoot();
});
afterEach(async () => {
  await t.remove();
});

describe('imk sync --once with a media server that is down', () => {
  it('says it down once (not once per try), keeps its files owed, and delivers', async () => {
    const jellyfin = await startReceiver(() => ({ status: 503 }));
    try {
      await writeConfig(
        t.root,
        `nasSync:
  enabled: true
  remoteRoots:
    audio: ${t.nas}/Music
  mediaServers:
    jf:
      type: jellyfin
      url: ${jellyfin.url}
      token: { env: JF_TEST_KEY }
  routes:
    - match: { kind: audio }
      to: "\${remoteRoots.audio}/"
      refresh: [jf]
`,
      );
      await writeJob(t.outputs, audioJob('job1'));
      const { logger, lines } = capturingLogger();
      const result = await runNasSyncOnce({
        root: t.root,
        logger,
        env: { ...process.env, JF_TEST_KEY: 'jf-key' },
      });
      expect(result.state === 'ran' && result.summary.delivered).toBe(1);
      // Tried as before (three tries of a refresh carrying new files) ...
      expect(jellyfin.requests).toHaveLength(3);
      // ... and said once, with why and what happens to its files.
      const said = lines()
        .filter((line) => Number(line.level) >= 40)
        .map((line) => String(line.msg));
      expect(said).toEqual([expect.stringMatching(/^media server "jf" is down: its refresh failed: .*503/)]);
      expect(said[0]).toContain('the files it missed are kept and asked again later');
      const [owed] = await readRefreshOwed(join(t.root, 'state'), ['jf']);
      expect(owed).toMatchObject({ server: 'jf', files: 1, tries: 1 });
    } finally {
      await jellyfin.close();
    }
  }, 60_000);
});
