import { mkdir, rmdir } from 'node:fs/promises';
import { execa } from 'execa';
import type { SshdServer } from './sshd.ts';

/**
 * The sshfs options instrumental-maker needs when queues/ or outputs/ are on an sshfs mount (see
 * docs/operations.md): no directory cache (sshfs keeps listings and attributes for 20 s by default, so a
 * host would see a claimed bundle as still ready, and a new one only 20 s late), and no kernel page cache
 * kept across opens (every open of a lease file reads what the holder last wrote).
 */
export const SSHFS_QUEUE_OPTIONS = ['dir_cache=no'] as const;

export interface SshfsMount {
  /** Where the export is mounted. */
  path: string;
  /** Unmounts (lazily when busy) and removes the mount point; safe to call twice. */
  unmount(): Promise<void>;
}

/** True when this machine can make FUSE mounts with sshfs (the program, /dev/fuse, fusermount3). */
export async function sshfsUsable(): Promise<boolean> {
  const tools = await Promise.all(
    ['sshfs', 'fusermount3'].map((bin) =>
      execa(bin, ['--version'], { reject: false }).then((r) => r.exitCode === 0),
    ),
  );
  const fuse = await execa('test', ['-c', '/dev/fuse'], { reject: false });
  return tools.every(Boolean) && fuse.exitCode === 0;
}

/**
 * Mounts `remoteDir` of a test sshd (startSshd) at `path` with sshfs: a FUSE mount of its own, with its
 * own SFTP session and caches, as a second host would have. `options` go to `-o` after the key settings.
 */
export async function mountSshfs(
  server: SshdServer,
  remoteDir: string,
  path: string,
  options: readonly string[] = SSHFS_QUEUE_OPTIONS,
): Promise<SshfsMount> {
  await mkdir(path, { recursive: true });
  const settings = [
    `IdentityFile=${server.clientKey}`,
    `UserKnownHostsFile=${server.knownHosts}`,
    'StrictHostKeyChecking=yes',
    'BatchMode=yes',
    // ssh takes an option's first value: a caller's own ServerAliveInterval (0: a server that stops
    // answering is waited for forever, as on a hard NFS mount) replaces this one.
    ...(options.some((o) => o.startsWith('ServerAliveInterval=')) ? [] : ['ServerAliveInterval=5']),
    ...options,
  ];
  const user = (await execa('id', ['-un'])).stdout.trim();
  await execa('sshfs', [
    `${user}@${server.host}:${remoteDir}`,
    path,
    '-p',
    String(server.port),
    '-o',
    settings.join(','),
  ]);
  let mounted = true;
  return {
    path,
    async unmount() {
      if (!mounted) return;
      mounted = false;
      const plain = await execa('fusermount3', ['-u', path], { reject: false });
      if (plain.exitCode !== 0) await execa('fusermount3', ['-u', '-z', path], { reject: false });
      await rmdir(path).catch(() => undefined);
    },
  };
}
