// What imk does at nas-sync's destinations outside a pass, when a share there has stopped answering.
//
// `imk cleanup` sweeps what interrupted rsync transfers left in nas-sync's destination folders. It did that
// to a folder on this host with its own file-system calls, without any bound: on a share that stopped
// answering (a NAS down, a hard NFS mount) the first call never returned, so `imk cleanup` hung for ever
// (and held one of its file-system threads). The sweep now runs in the rsync backend's helper process with
// the no-progress watch of nasSync.shareTimeoutSec, as a pass's work there does: the dead share's folder is
// said (UNREACHABLE, naming the destination and the folder, as a pass says it), the other destination is
// swept all the same, and the exit code is 1 (something was left). The helper given up on cannot end before
// the share answers: it no longer holds the command's stderr (it inherited it), or whoever reads the output to
// its end (a pipe to tee, a cron mail, this test) would still wait for the share. A real sshfs mount of a
// real sshd, whose server is stopped with SIGSTOP before the cleanup; real `imk sync --once` and `imk cleanup`.
import { existsSync } from 'node:fs';
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SSHFS_QUEUE_OPTIONS,
  descendants,
  mountSshfs,
  sshfsUsable,
  startSshd,
  writeJob,
  type SshdServer,
  type SshfsMount,
} from '@imk/sync/testing';
import { resolvePaths } from '@imk/config';
import { IMK } from '../../../packages/cli/test/imk-bin.ts';
import { sharesMountedCheck } from '../src/index.ts';
import { tempRoot, writeConfig } from './helpers.ts';

let t: Awaited<ReturnType<typeof tempRoot>>;
let sshd: SshdServer;
let share: SshfsMount;
beforeAll(async () => {
  if (!(await sshfsUsable()))
    throw new Error('sshfs, fusermount3 or /dev/fuse is missing: run scripts/system-deps.sh as root');
  t = await tempRoot();
  sshd = await startSshd();
  await mkdir(join(sshd.dataDir, 'share'));
  // No keep-alive: a stopped server is waited for forever, as a hard-mounted NFS share's is.
  share = await mountSshfs(sshd, join(sshd.dataDir, 'share'), join(t.root, 'nas-mount'), [
    ...SSHFS_QUEUE_OPTIONS,
    'ServerAliveInterval=0',
  ]);
}, 60_000);
afterAll(async () => {
  await share?.unmount();
  await sshd?.stop();
  await t?.remove();
});

async function signalServer(signal: 'SIGSTOP' | 'SIGCONT'): Promise<void> {
  const pid = Number((await readFile(join(sshd.dir, 'sshd.pid'), 'utf8')).trim());
  for (const p of [{ pid }, ...descendants(pid)]) process.kill(p.pid, signal);
}

const HOUR = 3_600_000;
async function putOld(path: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, 'partial bytes');
  const when = new Date(Date.now() - 30 * HOUR);
  await utimes(path, when, when);
}

/** Two rsync destinations of each audio file: the share's folder (first), and a folder on this disk. */
function configure(nas = `${share.path}/Music`): Promise<void> {
  return writeConfig(
    t.root,
    `nasSync:
  enabled: true
  shareTimeoutSec: 3
  remoteRoots:
    nas: ${nas}
    live: ${t.nas}/Music
  backends:
    nas:
      type: rsync
    live:
      type: rsync
  routes:
    - match: { kind: audio }
      to: "\${remoteRoots.nas}/{artist}/{title} ({variant}).{ext}"
      backend: nas
      continue: true
    - match: { kind: audio }
      to: "\${remoteRoots.live}/{artist}/{title} ({variant}).{ext}"
      backend: live
`,
  );
}

describe('imk cleanup when a destination share has stopped answering', () => {
  it('says that folder and exits 1 within the share timeout, and sweeps the other destination', async () => {
    await configure();
    await writeJob(t.outputs, { jobId: 'one', artifacts: [{ path: 'files/audio/a.m4a' }] });
    const env = { IMK_LOG_LEVEL: 'error' };
    const sync = await execa('node', [IMK, 'sync', '--once', '--root', t.root], { reject: false, env });
    expect(sync.exitCode, sync.stdout + sync.stderr).toBe(0);
    const nasFolder = join(share.path, 'Music', 'Artist');
    const liveFolder = join(t.nas, 'Music', 'Artist');
    expect(existsSync(join(nasFolder, 'Title one (instrumental).m4a'))).toBe(true);
    expect(existsSync(join(liveFolder, 'Title one (instrumental).m4a'))).toBe(true);
    const leftover = '.imk-partial/.Title one (instrumental).m4a.0123456789ab.imk-tmp';
    // Written on the server's side: the share's copy is there whatever the mount cached.
    const onServer = join(sshd.dataDir, 'share', 'Music', 'Artist', leftover);
    await putOld(onServer);
    await putOld(join(liveFolder, leftover));

    await signalServer('SIGSTOP');
    const cleanup = execa('node', [IMK, 'cleanup', '--root', t.root], { reject: false, env });
    try {
      const started = performance.now();
      const ended = await Promise.race([cleanup, sleep(60_000).then(() => 'still running after 60 s')]);
      // Before, its first file-system call on the stopped share never returned: imk cleanup never ended.
      expect(ended, 'imk cleanup on a stopped share').not.toBe('still running after 60 s');
      const run = await cleanup;
      // Not timed from above (a loaded machine can take long over the rest of the work): what ended the
      // wait is the share's timer of 3 s, as the message below names it; and it did wait that long.
      expect(performance.now() - started).toBeGreaterThanOrEqual(3000);
      expect(run.exitCode, run.stdout + run.stderr).toBe(1);
      expect(run.stderr).toContain(`imk cleanup: kept temp ${nasFolder}: destination nas: ${nasFolder}`);
      expect(run.stderr).toContain('made no progress for 3 s');
      expect(run.stderr).toMatch(/Check that the share's server is up/);
      // The other destination is swept all the same.
      expect(existsSync(join(liveFolder, leftover))).toBe(false);
      expect(run.stdout).toContain(join(liveFolder, leftover));
    } finally {
      await signalServer('SIGCONT');
      cleanup.kill('SIGKILL');
      await cleanup.catch(() => undefined);
    }
    // Nothing was removed on the share: it waits for a cleanup when the share answers.
    expect(existsSync(onServer)).toBe(true);
    const again = await execa('node', [IMK, 'cleanup', '--root', t.root], { reject: false, env });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(existsSync(onServer)).toBe(false);
  }, 180_000);
});

// imk doctor's look at the route folders on this host (are their shares mounted?) resolved each folder with
// this process's own realpath: on a share that stopped answering it never returned, and `imk doctor` hung.
// The folder is asked of a child first now (places.ts folderSilent), bounded by shareTimeoutSec.
describe('imk doctor when a destination share has stopped answering', () => {
  it('warns of that route folder within the share timeout instead of waiting for it', async () => {
    // A folder never looked at: no cache of the mount answers for it.
    const folder = `${share.path}/doctor-${Date.now()}`;
    await configure(folder);
    // The share is listed in fstab (as a NAS share mostly is): the check then resolves the folder's links.
    const fstab = join(t.root, 'fstab');
    await writeFile(fstab, `root@127.0.0.1:/share ${share.path} fuse.sshfs noauto 0 0\n`);
    const env = { ...process.env, IMK_SYNC_FSTAB: fstab };
    await signalServer('SIGSTOP');
    try {
      const started = performance.now();
      const check = sharesMountedCheck.run({
        paths: resolvePaths(t.root),
        env,
        now: new Date(),
      });
      const result = await Promise.race([
        check,
        sleep(60_000).then(() => 'still running after 60 s' as const),
      ]);
      // Before, its realpath of the folder on the stopped share never returned.
      expect(result, 'the shares-mounted check on a stopped share').not.toBe('still running after 60 s');
      // Not timed from above (a loaded machine can take long over the rest of the work): what ended the
      // wait is the share's timer of 3 s, as the message below names it; and it did wait that long.
      expect(performance.now() - started).toBeGreaterThanOrEqual(3000);
      expect(result).toMatchObject({ status: 'warn' });
      const { summary, fix } = result as { summary: string; fix?: string };
      expect(summary).toContain(`destination nas: ${folder} did not answer within 3 s`);
      expect(summary).toContain('route "routes.0"');
      expect(fix).toContain("check that the share's server is up");
    } finally {
      await signalServer('SIGCONT');
    }
  }, 120_000);
});
