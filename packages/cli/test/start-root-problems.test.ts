// `imk up` on a root it cannot use. A root that is a file used to stop every command with a bare
// "ENOTDIR: not a directory, open '<root>/config/paths.yaml'"; a read-only root (an NFS export mounted ro,
// a USB disk the kernel remounted ro) printed "instrumental-maker is running: open http://…" and then each
// service failed on its own with "ENOENT: no such file or directory, mkdir '<root>/state'" (Node's
// recursive mkdir reports EROFS as ENOENT), the dashboard kept running with nothing behind it and the log
// repeated "cannot write the health heartbeat" every 15 s. Now the command stops at once and says why.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMK } from './imk-bin.ts';

// A refused start takes a few seconds here; a started `imk up` would run until this timeout.
const imk = (...args: string[]) =>
  execa(process.execPath, [IMK, ...args], { reject: false, timeout: 60_000, stdin: 'ignore' });

let dir = '';
let readOnly = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-start-root-'));
  // A real read-only file system: a read-only bind mount of a folder (root ignores mode bits, not this).
  const source = join(dir, 'source');
  readOnly = join(dir, 'read-only');
  await mkdir(join(source, 'existing', 'state'), { recursive: true });
  await mkdir(readOnly);
  await execa('mount', ['--bind', source, readOnly]);
  await execa('mount', ['-o', 'remount,ro,bind', readOnly]);
});
afterAll(async () => {
  await execa('umount', [readOnly]).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

describe('imk up and imk run on a root they cannot use stop at once, saying why', () => {
  it('a root that is a file is named as one, by imk up and by any other command', async () => {
    const file = join(dir, 'not-a-folder');
    await writeFile(file, 'oops');
    for (const args of [['up', '--port', '0'], ['jobs'], ['cleanup', '--dry-run']]) {
      const result = await imk(...args, '--root', file);
      expect(result.exitCode, args.join(' ')).toBe(1);
      expect(result.stderr).toContain(
        `the root ${file} (--root, else IMK_ROOT, else the current folder) is a file`,
      );
      expect(result.stdout).not.toContain('is running');
    }
  });

  it('a config/ that is a file is named as one', async () => {
    const root = join(dir, 'config-file');
    await mkdir(root);
    await writeFile(join(root, 'config'), 'port: 9000\n');
    const result = await imk('up', '--port', '0', '--root', root);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `${join(root, 'config')} is a file, not a folder: config/ holds the YAML settings`,
    );
    expect(result.stdout).not.toContain('is running');
  });

  it('a read-only root, with or without state/ in it, is said to be read-only before anything starts', async () => {
    for (const [root, args] of [
      [readOnly, ['up', '--port', '0']],
      [join(readOnly, 'existing'), ['up', '--port', '0']],
      [join(readOnly, 'new', 'root'), ['run', 'nas-sync']],
    ] as const) {
      const result = await imk(...args, '--root', root);
      expect(result.timedOut, root).toBe(false);
      expect(result.exitCode, root).toBe(1);
      expect(result.stderr).toContain(
        `${join(root, 'state')} cannot be written: the file system is read-only`,
      );
      expect(result.stderr).not.toContain('ENOENT');
      expect(result.stdout).not.toContain('is running');
    }
  });
});
