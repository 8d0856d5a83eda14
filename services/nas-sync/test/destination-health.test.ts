// A destination every pass fails at (a file where its folder must be, a server that refuses the
// connection) made nas-sync deliver nothing while the dashboard showed it green: its health only looked at
// the config and the mounts. Its health now reads what its own passes recorded, and is green again once a
// pass delivers there. (The supervisor runs these checks; packages/cli's health-and-secrets test shows
// /readyz and /api/status.)
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolvePaths } from '@imk/config';
import { audioJob, writeJob } from '@imk/sync/testing';
import { runRefreshes } from '@imk/notify';
import { startReceiver } from '../../../packages/notify/test/receiver.ts';
import { healthChecks, resetFailedTransfers, runNasSyncOnce } from '../src/index.ts';
import { loadNasSyncConfig, type NasSyncConfig } from '../src/config.ts';
import { capturingLogger, localConfig, tempRoot, writeConfig } from './helpers.ts';

let t: Awaited<ReturnType<typeof tempRoot>>;
beforeEach(async () => {
  t = await tempRoot();
  process.env.IMK_TEST_OFFSITE_PASSWORD = 'a-secret-sftp-password-5f3a';
});
afterEach(async () => {
  delete process.env.IMK_TEST_OFFSITE_PASSWORD;
  await t.remove();
});

/** What the running service's checks say now: the failing ones, as `title: summary (fix: …)`. */
async function degraded(root: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const context = { paths: resolvePaths(root), env, now: new Date() };
  const reasons: string[] = [];
  for (const check of healthChecks) {
    const result = await check.run(context);
    if (result.status === 'fail') reasons.push(`${check.title}: ${result.summary} (fix: ${result.fix})`);
  }
  return reasons;
}

describe('nas-sync health after passes that fail at a destination', () => {
  it('is degraded naming the route, the destination and what to do, until a pass delivers there', async () => {
    const blocker = join(t.nas, 'Music');
    await mkdir(t.nas, { recursive: true });
    // A regular file where the route's folder must be: every pass fails there (PATH_NOT_FOLDER).
    await writeFile(blocker, 'not a folder');
    await writeConfig(
      t.root,
      `nasSync:
  enabled: true
  backends:
    nas:
      type: local
      fsync: false
    # Nothing listens on port 1: refused at once (UNREACHABLE), no connection made by the check itself.
    dead:
      type: sftp
      host: 127.0.0.1
      port: 1
      password: { env: IMK_TEST_OFFSITE_PASSWORD }
      hostKeyCheck: "off"
  routes:
    - name: music
      match: { kind: audio }
      to: "${t.nas}/Music/{artist}/{title}.{ext}"
      backend: nas
      continue: true
    - name: offsite
      match: { kind: audio }
      to: "/srv/{title}.{ext}"
      backend: dead
`,
    );
    await writeJob(t.outputs, audioJob('job1'));
    const { logger } = capturingLogger();
    expect(await degraded(t.root)).toEqual([]);

    const first = await runNasSyncOnce({ root: t.root, logger });
    expect(first).toMatchObject({ state: 'ran', summary: { delivered: 0, failed: 2 } });
    let reasons = (await degraded(t.root)).join('\n');
    expect(reasons).toMatch(/^NAS sync destinations: /);
    expect(reasons).toContain('route "music" (backend "nas") has delivered nothing since ');
    expect(reasons).toContain(`${blocker} is a file, not a folder`);
    expect(reasons).toContain('route "offsite" (backend "dead")');
    expect(reasons).toMatch(/refused/i);
    expect(reasons).toMatch(/fix: .*imk sync retry/);
    expect(reasons).not.toContain(process.env.IMK_TEST_OFFSITE_PASSWORD);

    // The file moved away and the failures retried: the local route delivers, and is no longer named.
    await rm(blocker);
    resetFailedTransfers({ root: t.root, logger });
    const second = await runNasSyncOnce({ root: t.root, logger });
    expect(second).toMatchObject({ state: 'ran', summary: { delivered: 1 } });
    expect(await readdir(join(t.nas, 'Music', 'Artist'))).toEqual(['Title job1.m4a']);
    reasons = (await degraded(t.root)).join('\n');
    expect(reasons).not.toContain('route "music"');
    expect(reasons).toContain('route "offsite" (backend "dead")');

    // The dead destination's route removed from the config: nothing is said of it any more.
    await writeConfig(
      t.root,
      `nasSync:\n  enabled: true\n  routes:\n    - name: music\n      match: { kind: audio }\n      to: "${t.nas}/Music/{artist}/{title}.{ext}"\n`,
    );
    expect(await degraded(t.root)).toEqual([]);
  });
});

describe('nas-sync health after a pass onto a read-only destination', () => {
  // Tests run as root, so a folder's mode does not stop them: a read-only bind mount does (EROFS).
  let bound: string | undefined;
  afterEach(async () => {
    if (bound) await execa('umount', [bound]);
    bound = undefined;
  });

  it('is degraded saying it cannot write there and to check the folder, until a pass delivers there', async () => {
    const target = join(t.root, 'nas-ro');
    await mkdir(join(t.nas, 'Music'), { recursive: true });
    await mkdir(target);
    await execa('mount', ['--bind', t.nas, target]);
    bound = target;
    await execa('mount', ['-o', 'remount,ro,bind', target]);
    await writeConfig(
      t.root,
      `nasSync:\n  enabled: true\n  routes:\n    - name: music\n      match: { kind: audio }\n      to: "${target}/Music/{title}.{ext}"\n`,
    );
    await writeJob(t.outputs, audioJob('job1'));
    const { logger } = capturingLogger();
    expect(await runNasSyncOnce({ root: t.root, logger })).toMatchObject({
      summary: { delivered: 0, failed: 1 },
    });
    const reasons = (await degraded(t.root)).join('\n');
    expect(reasons).toContain('route "music" (backend "local") has delivered nothing since');
    expect(reasons).toMatch(/cannot write .*read-only file system.*check the folder's owner and mode/i);

    // Writable again: the failure retried and delivered, and nothing is said.
    await execa('mount', ['-o', 'remount,rw,bind', target]);
    resetFailedTransfers({ root: t.root, logger });
    expect(await runNasSyncOnce({ root: t.root, logger })).toMatchObject({ summary: { delivered: 1 } });
    expect(await degraded(t.root)).toEqual([]);
  });
});

// state/nas-sync/destinations.json is read by the health check and by every pass (to keep what it does not
// retry): read with a plain readFile, a FIFO put in its place (a restore, another program) hung both for
// good, and with them /readyz and the sync. Read the fs-safe way: refused at once and taken for no faults.
describe('nas-sync health with its faults file replaced by a FIFO', () => {
  it('answers at once, and a pass runs and delivers', async () => {
    await writeConfig(t.root, localConfig(t.nas));
    await writeJob(t.outputs, audioJob('job1'));
    const file = join(t.root, 'state', 'nas-sync', 'destinations.json');
    await mkdir(join(t.root, 'state', 'nas-sync'), { recursive: true });
    await execa('mkfifo', [file]);
    // Nothing writes to the FIFO: an answer at all shows neither read waited on it.
    expect(await degraded(t.root)).toEqual([]);
    const { logger } = capturingLogger();
    expect(await runNasSyncOnce({ root: t.root, logger })).toMatchObject({
      state: 'ran',
      summary: { delivered: 1 },
    });
    expect(await degraded(t.root)).toEqual([]);
  }, 60_000);

  it('is degraded while a media server fails its refreshes, counting them, and green once it answers', async () => {
    let up = false;
    const jellyfin = await startReceiver(() => ({ status: up ? 204 : 503 }));
    try {
      await writeConfig(
        t.root,
        localConfig(
          t.nas,
          `
  mediaServers:
    jf:
      type: jellyfin
      url: ${jellyfin.url}
      token: { env: JF_TEST_KEY }`,
        ),
      );
      const { config } = (await loadNasSyncConfig(t.root, process.env)) as { config: NasSyncConfig };
      const pass = (paths: string[]) =>
        runRefreshes({
          servers: config.mediaServers,
          delivered: new Map([['jf', paths]]),
          stateDir: resolvePaths(t.root).state,
          logger: capturingLogger().logger,
          env: { JF_TEST_KEY: 'jf-key' },
          attempts: 1,
        });
      // The service runs with the server's token in its environment (else health says so, on its own).
      const env = { ...process.env, JF_TEST_KEY: 'jf-key' };
      await pass(['/m/a.m4a']);
      await pass(['/m/b.m4a']);
      const [reason, ...others] = await degraded(t.root, env);
      expect(others).toEqual([]);
      expect(reason).toMatch(
        /^media servers: media server "jf": 2 refreshes failed in a row since \S+, 2 files owed: .*HTTP 503/,
      );
      up = true;
      await pass(['/m/c.m4a']);
      expect(await degraded(t.root, env)).toEqual([]);
    } finally {
      await jellyfin.close();
    }
  });
});
