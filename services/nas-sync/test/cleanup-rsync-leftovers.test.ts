import { existsSync } from 'node:fs';
import { mkdir, readdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSshd, writeJob, type SshdServer } from '@imk/sync/testing';
import { IMK } from '../../../packages/cli/test/imk-bin.ts';
import { tempRoot, writeConfig } from './helpers.ts';

// An rsync to a folder on this host that is interrupted (nas-sync killed, the machine rebooted) leaves
// its partial copy in <folder>/.imk-partial/, our temp name beside the files, or rsync's own temp of it.
// nas-sync's pass sweeps them only in folders it writes to again, and a killed pass sweeps nothing, so
// they stayed for good: `imk cleanup` did not look at destinations at all. It now removes those older
// than retention.temp.maxAgeHours in every folder a rsync backend on this host delivered to or would
// deliver to, says each one, and never touches a delivered file, a fresh partial, a link or a file of
// the user's. Real rsync, real `imk sync --once`, real `imk cleanup`.
let t: Awaited<ReturnType<typeof tempRoot>>;
beforeEach(async () => {
  t = await tempRoot();
});
afterEach(async () => {
  await t.remove();
});

const imk = (...args: string[]) =>
  execa('node', [IMK, ...args, '--root', t.root], { reject: false, env: { IMK_LOG_LEVEL: 'error' } });

const HOUR = 3_600_000;
async function put(path: string, hoursOld: number, content = 'partial bytes'): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
  const when = new Date(Date.now() - hoursOld * HOUR);
  await utimes(path, when, when);
}

describe('imk cleanup and what interrupted rsync transfers left at a destination on this host', () => {
  it('removes the old leftovers, names each, and keeps everything else', async () => {
    await writeConfig(
      t.root,
      `nasSync:
  enabled: true
  remoteRoots:
    audio: ${t.nas}/Music
  backends:
    nas:
      type: rsync
  routes:
    - match: { kind: audio }
      to: "\${remoteRoots.audio}/{artist}/{title} ({variant}).{ext}"
      backend: nas
`,
    );
    await writeJob(t.outputs, { jobId: 'one', artifacts: [{ path: 'files/audio/a.m4a' }] });
    const sync = await imk('sync', '--once');
    expect(sync.exitCode, sync.stdout + sync.stderr).toBe(0);
    const folder = join(t.nas, 'Music', 'Artist');
    const [delivered] = await readdir(folder);
    expect(delivered).toBe('Title one (instrumental).m4a');
    // Two days old by its time stamp: a delivered file is never a leftover, whatever its age.
    const old = new Date(Date.now() - 48 * HOUR);
    await utimes(join(folder, delivered!), old, old);
    // A second job routed to a folder no receipt names yet (its first copy was killed).
    await writeJob(t.outputs, { jobId: 'two', artist: 'Other', artifacts: [{ path: 'files/audio/b.m4a' }] });
    const other = join(t.nas, 'Music', 'Other');
    const gone = [
      join(folder, '.imk-partial', '.Title one (instrumental).m4a.0123456789ab.imk-tmp'),
      join(folder, '.Title x (instrumental).m4a.0123456789ab.imk-tmp'),
      join(folder, '..Title y (instrumental).m4a.0123456789ab.imk-tmp.Ab12Cd'),
      join(other, '.imk-partial', '.Title two (instrumental).m4a.ba9876543210.imk-tmp'),
    ];
    for (const path of gone) await put(path, 30);
    const kept = [
      // A partial of a transfer that may still be running or resume: younger than the limit (24 h).
      join(folder, '.imk-partial', '.Title z (instrumental).m4a.fedcba987654.imk-tmp'),
      // The user's own files, whatever their names say.
      join(folder, 'notes.imk-tmp'),
      join(folder, '.hidden-notes'),
    ];
    await put(kept[0]!, 2);
    await put(kept[1]!, 30);
    await put(kept[2]!, 30);
    // A link with our name is not followed, nor removed (not a regular file of ours).
    await put(join(t.root, 'outside.txt'), 30, 'precious');
    await symlink(
      join(t.root, 'outside.txt'),
      join(folder, '.Title w (instrumental).m4a.0123456789ab.imk-tmp'),
    );

    const dry = await imk('cleanup', '--dry-run');
    expect(dry.exitCode, dry.stderr).toBe(0);
    for (const path of gone) expect(dry.stdout).toContain(path);
    expect(dry.stdout).toContain('would remove temp');
    for (const path of gone) expect(existsSync(path)).toBe(true);

    const run = await imk('cleanup');
    expect(run.exitCode, run.stderr).toBe(0);
    for (const path of gone) {
      expect(existsSync(path), path).toBe(false);
      expect(run.stdout).toContain(path);
    }
    expect(run.stdout).toMatch(
      /removed temp .* \(an interrupted rsync's leftover for backend "nas", older than the limit: 1\.3 days old\)/,
    );
    expect(existsSync(join(other, '.imk-partial'))).toBe(false);
    for (const path of kept) expect(existsSync(path), path).toBe(true);
    expect(existsSync(join(folder, delivered!))).toBe(true);
    expect(existsSync(join(t.root, 'outside.txt'))).toBe(true);
    expect(run.stdout).not.toContain(`${join(folder, delivered!)}  (`);
  });
});

describe('imk cleanup and what interrupted rsync transfers left on a server reached over ssh', () => {
  let sshd: SshdServer;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it('removes the old leftovers there too (nas-sync passes only swept folders they wrote to again)', async () => {
    const nasRoot = join(sshd.dataDir, `cleanup-${Date.now()}`);
    await writeConfig(
      t.root,
      `nasSync:
  enabled: true
  remoteRoots:
    audio: /Music
  backends:
    nas:
      type: rsync
      host: ${sshd.host}
      port: ${sshd.port}
      username: root
      privateKeyFile: ${sshd.clientKey}
      knownHostsFile: ${sshd.knownHosts}
      root: ${nasRoot}
  routes:
    - match: { kind: audio }
      to: "\${remoteRoots.audio}/{artist}/{title} ({variant}).{ext}"
      backend: nas
`,
    );
    await writeJob(t.outputs, { jobId: 'one', artifacts: [{ path: 'files/audio/a.m4a' }] });
    const sync = await imk('sync', '--once');
    expect(sync.exitCode, sync.stdout + sync.stderr).toBe(0);
    const folder = join(nasRoot, 'Music', 'Artist');
    const delivered = join(folder, 'Title one (instrumental).m4a');
    expect(existsSync(delivered)).toBe(true);
    const old = new Date(Date.now() - 48 * HOUR);
    await utimes(delivered, old, old);
    const gone = [
      join(folder, '.imk-partial', '.Title one (instrumental).m4a.0123456789ab.imk-tmp'),
      join(folder, '.Title x (instrumental).m4a.0123456789ab.1a2b3c4d.imk-tmp'),
      join(folder, '..Title y (instrumental).m4a.0123456789ab.imk-tmp.Ab12Cd'),
    ];
    for (const path of gone) await put(path, 30);
    const kept = [
      join(folder, '.imk-partial', '.Title z (instrumental).m4a.fedcba987654.imk-tmp'),
      join(folder, 'notes.imk-tmp'),
    ];
    await put(kept[0]!, 2);
    await put(kept[1]!, 30);
    await put(join(t.root, 'outside.txt'), 30, 'precious');
    await symlink(
      join(t.root, 'outside.txt'),
      join(folder, '.Title w (instrumental).m4a.0123456789ab.imk-tmp'),
    );

    const dry = await imk('cleanup', '--dry-run');
    expect(dry.exitCode, dry.stderr).toBe(0);
    for (const path of gone) expect(dry.stdout).toContain(path);
    for (const path of gone) expect(existsSync(path)).toBe(true);

    const run = await imk('cleanup');
    expect(run.exitCode, run.stderr).toBe(0);
    for (const path of gone) {
      expect(existsSync(path), path).toBe(false);
      expect(run.stdout).toContain(path);
    }
    expect(run.stdout).toMatch(
      /removed temp .* \(an interrupted rsync's leftover for backend "nas", older than the limit: 1\.3 days old\)/,
    );
    for (const path of kept) expect(existsSync(path), path).toBe(true);
    expect(existsSync(delivered)).toBe(true);
    expect(existsSync(join(t.root, 'outside.txt'))).toBe(true);
  }, 60_000);
});
