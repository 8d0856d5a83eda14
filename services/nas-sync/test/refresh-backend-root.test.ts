import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { audioJob, writeJob } from '@imk/sync/testing';
import { startReceiver } from '../../../packages/notify/test/receiver.ts';
import { runNasSyncOnce } from '../src/index.ts';
import { capturingLogger, tempRoot, writeConfig } from './helpers.ts';

// A backend with a root (`local` or `rsync` to a folder here, `root: /mnt/nas`) and a route relative to it
// (`to: 'Music/{artist}/'`): the media server was told the route's path alone, "Music/Artist/….m4a",
// relative, which it could not find, and the pass warned that mediaServers.jf.pathMap.from (/mnt/nas) "does
// not start" it, though the file was written under it. It is told the path as the backend wrote it. A
// Jellyfin loopback stand-in (Jellyfin cannot be installed here), mode paths.
let t: Awaited<ReturnType<typeof tempRoot>>;
beforeEach(async () => {
  t = await tempRoot();
});
afterEach(async () => {
  await t.remove();
});

describe('media-server refresh of a backend with a root', () => {
  it.each(['local', 'rsync'])(
    '%s: the server is told the path under the root, mapped by pathMap, without a warning',
    async (type) => {
      const jellyfin = await startReceiver(() => ({ status: 204 }));
      try {
        await writeConfig(
          t.root,
          `nasSync:
  enabled: true
  backends:
    nas: { type: ${type}, root: ${t.nas} }
  mediaServers:
    jf:
      type: jellyfin
      url: ${jellyfin.url}
      token: { env: JF_TEST_KEY }
      pathMap: { from: ${t.nas}, to: /data/music }
  routes:
    - match: { kind: audio }
      to: "Music/{artist}/"
      backend: nas
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
        expect(jellyfin.requests).toHaveLength(1);
        expect(JSON.parse(jellyfin.requests[0]!.body)).toEqual({
          Updates: [
            { Path: '/data/music/Music/Artist/Artist - job1 (instrumental).m4a', UpdateType: 'Created' },
          ],
        });
        expect(lines().filter((line) => Number(line.level) >= 40)).toEqual([]);
      } finally {
        await jellyfin.close();
      }
    },
    60_000,
  );
});
