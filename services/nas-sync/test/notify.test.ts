import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { NotifyConfigSchema, readNotifyResults } from '@imk/notify';
import { audioJob, writeJob } from '@imk/sync/testing';
import { startReceiver } from '../../../packages/notify/test/receiver.ts';
import { NasSyncFileSchema, runNasSyncOnce } from '../src/index.ts';
import { capturingLogger, tempRoot, writeConfig } from './helpers.ts';

// A real pass of the local backend. The webhook receiver and the Jellyfin server are loopback
// stand-ins (Jellyfin cannot be installed here): the stand-in checks the documented request,
// POST /Library/Media/Updated with the `MediaBrowser Token` header.
let t: Awaited<ReturnType<typeof tempRoot>>;
beforeEach(async () => {
  t = await tempRoot();
});
afterEach(async () => {
  await t.remove();
});

describe('nas-sync notifications and media-server refresh', () => {
  it("a pass that delivers sends sync.delivered and asks the route's media server to scan the new files; a final failure sends sync.failed", async () => {
    const hook = await startReceiver();
    const jellyfin = await startReceiver(() => ({ status: 204 }));
    try {
      await writeFile(
        join(t.root, 'config', 'notify.yaml'),
        stringify({ targets: [{ type: 'webhook', url: hook.url }] }),
      );
      await writeConfig(
        t.root,
        `nasSync:
  enabled: true
  conflict: fail
  remoteRoots:
    audio: ${t.nas}/Music
  mediaServers:
    jf:
      type: jellyfin
      url: ${jellyfin.url}
      token: { env: JF_TEST_KEY }
      pathMap: { from: ${t.nas}/Music, to: /media/music }
  routes:
    - match: { kind: audio }
      to: "\${remoteRoots.audio}/"
      refresh: [jf]
`,
      );
      await writeJob(t.outputs, audioJob('job1'));
      await writeJob(t.outputs, audioJob('job2'));
      // A different file already holds job2's destination: with conflict: fail, a final error.
      await mkdir(join(t.nas, 'Music'), { recursive: true });
      await writeFile(join(t.nas, 'Music', 'Artist - job2 (instrumental).m4a'), 'someone else');

      const { logger } = capturingLogger();
      const result = await runNasSyncOnce({
        root: t.root,
        logger,
        env: { ...process.env, JF_TEST_KEY: 'jf-key' },
      });
      expect(result.state === 'ran' && result.summary.delivered).toBe(1);

      const events = hook.requests.map(
        (r) => JSON.parse(r.body) as { type: string; count: number; files: { job_id: string }[] },
      );
      expect(events.map((e) => `${e.type} ${e.count} ${e.files[0]?.job_id ?? ''}`).sort()).toEqual([
        'sync.delivered 1 job1',
        'sync.failed 1 job2',
      ]);
      expect(jellyfin.requests).toHaveLength(1);
      const [scan] = jellyfin.requests;
      expect(`${scan?.method} ${scan?.url}`).toBe('POST /Library/Media/Updated');
      expect(scan?.headers.authorization).toBe('MediaBrowser Token="jf-key"');
      expect(JSON.parse(scan?.body ?? '{}')).toEqual({
        Updates: [{ Path: '/media/music/Artist - job1 (instrumental).m4a', UpdateType: 'Created' }],
      });
      const results = await readNotifyResults(join(t.root, 'state'));
      expect(
        results
          .filter((r) => r.ok)
          .map((r) => r.event)
          .sort(),
      ).toEqual(['refresh', 'sync.delivered', 'sync.failed']);
    } finally {
      await hook.close();
      await jellyfin.close();
    }
  });

  it('a pathMap that starts none of the delivered paths is said once per pass, naming route, server and path', async () => {
    const jellyfin = await startReceiver(() => ({ status: 204 }));
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
      pathMap: { from: /srv/elsewhere, to: /media/music }
  routes:
    - name: music
      match: { kind: audio }
      to: "\${remoteRoots.audio}/"
      refresh: [jf]
`,
      );
      await writeJob(t.outputs, audioJob('job1'));
      await writeJob(t.outputs, audioJob('job2'));
      const { logger, lines } = capturingLogger();
      await runNasSyncOnce({ root: t.root, logger, env: { ...process.env, JF_TEST_KEY: 'jf-key' } });
      const warnings = lines()
        .map((line) => String(line.msg))
        .filter((msg) => msg.includes('pathMap.from'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('route "music": media server "jf" has pathMap.from /srv/elsewhere');
      expect(warnings[0]).toContain(`which does not start ${t.nas}/Music/Artist - job`);
      expect(warnings[0]).toContain('nor 1 more of this pass');
      expect(warnings[0]).toContain('fix mediaServers.jf.pathMap.from in config/nas-sync.yaml');
    } finally {
      await jellyfin.close();
    }
  });

  it('a route naming an unknown media server is a config error naming the field', async () => {
    await writeConfig(
      t.root,
      `nasSync:
  enabled: true
  routes:
    - to: "${t.nas}/"
      refresh: [plex]
`,
    );
    const { logger } = capturingLogger();
    await expect(runNasSyncOnce({ root: t.root, logger })).rejects.toThrow(
      /routes\.0\.refresh\.0: no media server named "plex"/,
    );
  });
});

describe('the examples in docs/notifications.md and the README', () => {
  it('parse as written', async () => {
    const repo = join(import.meta.dirname, '..', '..', '..');
    const blocks = [
      await readFile(join(repo, 'docs', 'notifications.md'), 'utf8'),
      await readFile(join(repo, 'README.md'), 'utf8'),
    ].flatMap((text) => [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? ''));
    const notify = blocks.filter((b) => b.startsWith('# config/notify.yaml'));
    const nasSync = blocks.filter(
      (b) => b.startsWith('# config/nas-sync.yaml') && b.includes('mediaServers'),
    );
    expect(notify).toHaveLength(2);
    // The full example, and the one of minIntervalSec (a Jellyfin asked at most every 15 minutes).
    expect(nasSync).toHaveLength(2);
    for (const block of notify)
      expect(NotifyConfigSchema.parse(parseYaml(block)).targets.length).toBeGreaterThan(0);
    const parsed = NasSyncFileSchema.parse(parseYaml(nasSync[0] ?? '')).nasSync;
    expect(Object.keys(parsed?.mediaServers ?? {})).toEqual(['jellyfin', 'plex', 'navidrome']);
    expect(parsed?.routes[0]?.refresh).toEqual(['jellyfin', 'plex', 'navidrome']);
    expect(parsed?.mediaServers.jellyfin?.minIntervalSec).toBe(300);
    const spaced = NasSyncFileSchema.parse(parseYaml(nasSync[1] ?? '')).nasSync;
    expect(spaced?.mediaServers.jellyfin).toMatchObject({ mode: 'library', minIntervalSec: 900 });
  });
});
