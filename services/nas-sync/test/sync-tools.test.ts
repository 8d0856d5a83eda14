import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { resolvePaths } from '@imk/config';
import { audioJob, writeJob } from '@imk/sync/testing';
import { resolveTool } from '@imk/tools';
import { getSyncStatus, runNasSyncOnce, sharesMountedCheck, syncToolsCheck } from '../src/index.ts';
import { capturingLogger, tempRoot, writeConfig } from './helpers.ts';

let t: Awaited<ReturnType<typeof tempRoot>>;
beforeEach(async () => {
  t = await tempRoot();
});
afterEach(async () => {
  await t.remove();
});

/** An rsync backend to a local folder whose program is the given setting. */
function rsyncConfig(rsyncBinary: string): string {
  return `nasSync:
  enabled: true
  backends:
    nas:
      type: rsync
      root: ${t.nas}
      rsyncBinary: ${rsyncBinary}
  routes:
    - match: { kind: audio }
      to: "{artist}/{title} ({variant}).{ext}"
      backend: nas
`;
}

const doctor = () => syncToolsCheck.run({ paths: resolvePaths(t.root), env: process.env, now: new Date() });

it('a configured rsync path is the program the sync runs and the one doctor checks', async () => {
  // A wrapper that notes each run, then hands over to the real rsync.
  const calls = join(t.root, 'rsync-calls.log');
  const wrapper = join(t.root, 'my-rsync');
  const real = await resolveTool('rsync');
  await writeFile(wrapper, `#!/bin/sh\necho run >> "${calls}"\nexec "${real}" "$@"\n`);
  await chmod(wrapper, 0o755);
  await writeConfig(t.root, rsyncConfig(wrapper));
  await writeJob(t.outputs, audioJob('job1'));

  expect(await doctor()).toMatchObject({
    status: 'ok',
    summary: expect.stringContaining(`rsync ${wrapper}`),
  });
  const result = await runNasSyncOnce({ root: t.root, logger: capturingLogger().logger });
  expect(result.state === 'ran' && result.summary.failed).toBe(0);
  expect((await readFile(calls, 'utf8')).trim().split('\n').length).toBeGreaterThan(0);
});

it('a configured rsync path that is not there fails doctor and the sync alike, naming the setting', async () => {
  const missing = join(t.root, 'no-such-rsync');
  await writeConfig(t.root, rsyncConfig(missing));
  await writeJob(t.outputs, audioJob('job1'));

  const check = await doctor();
  expect(check.status).toBe('fail');
  expect(check.summary).toContain(missing);
  expect(check.summary).toContain('backends.nas.rsyncBinary');

  const logger = capturingLogger().logger;
  const result = await runNasSyncOnce({ root: t.root, logger });
  expect(result.state === 'ran' && result.summary.failed).toBe(1);
  const status = await getSyncStatus({ root: t.root, logger });
  expect(status.rows[0]).toMatchObject({ state: 'failed', error_code: 'TOOL_MISSING' });
  expect(JSON.stringify(status.rows[0])).toContain(missing);
});

it('imk doctor warns of a local route onto an fstab share that is not mounted, naming the route and the mount point', async () => {
  const share = join(t.nas, 'mnt', 'share');
  await mkdir(share, { recursive: true });
  await writeConfig(
    t.root,
    `nasSync:
  enabled: true
  remoteRoots:
    audio: ${share}/Music
  routes:
    - name: music
      match: { kind: audio }
      to: "\${remoteRoots.audio}/{artist}"
`,
  );
  const fstab = join(t.root, 'fstab');
  const mountinfo = join(t.root, 'mountinfo');
  await writeFile(fstab, `//nas/music ${share} cifs noauto 0 0\n`);
  await writeFile(mountinfo, '21 26 0:20 / /proc rw,relatime - proc proc rw\n');
  const env = { ...process.env, IMK_SYNC_FSTAB: fstab, IMK_SYNC_MOUNTINFO: mountinfo };
  const check = () => sharesMountedCheck.run({ paths: resolvePaths(t.root), env, now: new Date() });
  const warned = await check();
  expect(warned.status).toBe('warn');
  expect(warned.summary).toContain('route "music"');
  expect(warned.summary).toContain(`${share} is listed in ${fstab} but not mounted`);
  await writeFile(mountinfo, `900 26 0:99 / ${share} rw - cifs //nas/music rw\n`);
  expect(await check()).toMatchObject({ status: 'ok' });
});

it('imk doctor warns of an rclone route to a local remote onto an fstab share that is not mounted, as the backend refuses it', async () => {
  const share = join(t.nas, 'mnt', 'share');
  await mkdir(share, { recursive: true });
  const rcloneConfig = join(t.root, 'rclone.conf');
  await writeFile(rcloneConfig, '[imklocal]\ntype = local\n');
  await writeConfig(
    t.root,
    `nasSync:
  enabled: true
  remoteRoots:
    audio: ${share}/Music
  backends:
    box:
      type: rclone
      remote: "imklocal:"
      configFile: ${rcloneConfig}
  routes:
    - name: music
      match: { kind: audio }
      to: "\${remoteRoots.audio}/{artist}"
      backend: box
`,
  );
  const fstab = join(t.root, 'fstab');
  const mountinfo = join(t.root, 'mountinfo');
  await writeFile(fstab, `//nas/music ${share} cifs noauto 0 0\n`);
  await writeFile(mountinfo, '21 26 0:20 / /proc rw,relatime - proc proc rw\n');
  const env = { ...process.env, IMK_SYNC_FSTAB: fstab, IMK_SYNC_MOUNTINFO: mountinfo };
  const check = () => sharesMountedCheck.run({ paths: resolvePaths(t.root), env, now: new Date() });
  const warned = await check();
  expect(warned.status).toBe('warn');
  expect(warned.summary).toContain('route "music" (backend "box")');
  expect(warned.summary).toContain(`${share} is listed in ${fstab} but not mounted`);

  // The sync itself refuses the same route for the same reason.
  await writeJob(t.outputs, { jobId: 'one', artifacts: [{ path: 'files/audio/a.m4a' }] });
  const logger = capturingLogger().logger;
  await runNasSyncOnce({ root: t.root, logger, env });
  const status = await getSyncStatus({ root: t.root, logger, env });
  expect(status.rows[0]).toMatchObject({ state: 'pending', error_code: 'SHARE_NOT_MOUNTED' });

  await writeFile(mountinfo, `900 26 0:99 / ${share} rw - cifs //nas/music rw\n`);
  expect(await check()).toMatchObject({ status: 'ok', summary: expect.stringContaining('1 route folder') });
});

it('the unmounted-share check carries on past a backend that cannot be made (its key file is missing), saying so', async () => {
  const share = join(t.nas, 'mnt', 'share');
  await mkdir(share, { recursive: true });
  await writeConfig(
    t.root,
    `nasSync:
  enabled: true
  remoteRoots:
    audio: ${share}/Music
  backends:
    far:
      type: rsync
      host: nas.invalid
      privateKeyFile: { file: ${join(t.root, 'no-such-key')} }
  routes:
    - name: far-copy
      match: { kind: audio }
      to: "\${remoteRoots.audio}/far"
      backend: far
      continue: true
    - name: music
      match: { kind: audio }
      to: "\${remoteRoots.audio}/{artist}"
`,
  );
  const fstab = join(t.root, 'fstab');
  const mountinfo = join(t.root, 'mountinfo');
  await writeFile(fstab, `//nas/music ${share} cifs noauto 0 0\n`);
  await writeFile(mountinfo, '21 26 0:20 / /proc rw,relatime - proc proc rw\n');
  const env = { ...process.env, IMK_SYNC_FSTAB: fstab, IMK_SYNC_MOUNTINFO: mountinfo };
  const result = await sharesMountedCheck.run({ paths: resolvePaths(t.root), env, now: new Date() });
  expect(result.status).toBe('warn');
  expect(result.summary).toContain('route "music"');
  expect(result.summary).toContain('not checked: route "far-copy" (backend "far")');
});
