// What the dead-share tests (dead-share, dead-share-copy, dead-share-tools) share: a real sshd whose folder
// is mounted with sshfs as the "share", with no keep-alive (a stopped server is waited for forever, as a
// hard-mounted NFS share's is), a receipt store, and a way to stop and resume the share's server. A test
// file calls useDeadShare(prefix) once at its top level; the bindings below are set before its tests run.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { ReceiptStore } from '../src/index.ts';
import { tempDir } from './helpers.ts';
import {
  SSHFS_QUEUE_OPTIONS,
  mountSshfs,
  sshfsUsable,
  startSshd,
  type SshdServer,
  type SshfsMount,
} from './servers/index.ts';
import { descendants } from './servers/processes.ts';

export let dir: Awaited<ReturnType<typeof tempDir>>;
export let sshd: SshdServer;
export let share: SshfsMount;
export let receipts: ReceiptStore;

/** Starts the server and mounts the share before the file's tests (`prefix`: the temp folder's name). */
export function useDeadShare(prefix: string): void {
  beforeAll(async () => {
    if (!(await sshfsUsable()))
      throw new Error('sshfs, fusermount3 or /dev/fuse is missing: run scripts/system-deps.sh as root');
    dir = await tempDir(prefix);
    sshd = await startSshd();
    await mkdir(join(sshd.dataDir, 'share'));
    share = await mountSshfs(sshd, join(sshd.dataDir, 'share'), join(dir.path, 'nas'), [
      ...SSHFS_QUEUE_OPTIONS,
      'ServerAliveInterval=0',
    ]);
    receipts = ReceiptStore.open({ file: join(dir.path, 'state', 'nas-sync.sqlite') })!;
  }, 60_000);
  afterAll(async () => {
    receipts?.close();
    await share?.unmount();
    await sshd?.stop();
    await dir?.remove();
  });
}

/** The sshd and every process of its sessions: the share's server. */
export async function serverPids(): Promise<number[]> {
  const pid = Number((await readFile(join(sshd.dir, 'sshd.pid'), 'utf8')).trim());
  return [pid, ...descendants(pid).map((p) => p.pid)];
}

/** SIGSTOPs (or SIGCONTs) the share's server: it stops answering (or answers again). */
export async function signalServer(signal: 'SIGSTOP' | 'SIGCONT'): Promise<void> {
  for (const pid of await serverPids()) process.kill(pid, signal);
}

/** A route for one variant to one backend: each song's instrumental goes to one destination, its no_drums
 * to the other. */
export const route = (backend: string, variant: string, root: string) => ({
  name: `to-${backend}`,
  match: { kind: 'audio' as const, variant: [variant], source_type: undefined },
  to: `${root}/{title} ({variant}).{ext}`,
  backend,
});
