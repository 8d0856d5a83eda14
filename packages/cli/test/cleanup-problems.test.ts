// One archive that cleanup may not read or delete (a folder inside owned by another user: a worker once
// run with sudo, a container with another uid) used to stop the whole pass: nothing at all was removed,
// the scheduled cleanup failed every hour the same way, and `imk cleanup` printed only
// "EACCES: permission denied, scandir …". Now that entry is kept and named with what to do, every other
// entry still goes, and the exit code is 1.
import { chmod, chown, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IMK } from './imk-bin.ts';

// Permissions do not stop root: as root, cleanup runs as `nobody` and the foreign folders belong to root.
const asRoot = process.getuid?.() === 0;
const NOBODY = 65_534;
const imk = (...args: string[]) =>
  asRoot
    ? execa(
        'setpriv',
        [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, IMK, ...args],
        { reject: false, env: { HOME: tmpdir() } },
      )
    : execa(process.execPath, [IMK, ...args], { reject: false });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let root = '';
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-cleanup-problems-'));
});
afterEach(async () => {
  for (const dir of ['queues/other/succeeded/job_b@w1.a/sub', 'queues/other/failed/job_d@w1.a/locked'])
    await chmod(join(root, dir), 0o755).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

async function put(path: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, 'x');
}

/** Everything under `dir` owned by the user cleanup runs as. */
async function ownTree(dir: string): Promise<void> {
  if (!asRoot) return;
  await chown(dir, NOBODY, NOBODY);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await ownTree(path);
    else await chown(path, NOBODY, NOBODY);
  }
}

/** A folder cleanup may not list, or may list but not delete from. */
async function foreign(dir: string, kind: 'unreadable' | 'undeletable'): Promise<void> {
  if (asRoot) {
    await chown(dir, 0, 0);
    await chmod(dir, kind === 'unreadable' ? 0o700 : 0o755);
  } else await chmod(dir, kind === 'unreadable' ? 0o300 : 0o555);
}

describe('imk cleanup with entries it may not read or delete', () => {
  it('keeps and names them, removes every other expired entry, and exits 1', async () => {
    await mkdir(join(root, 'config'), { recursive: true });
    await writeFile(
      join(root, 'config', 'operations.yaml'),
      'retention:\n  archives: { maxAgeDays: 0.00001 }\n',
    );
    await put(join(root, 'queues/other/succeeded/job_a@w1.a/audio.wav'));
    await put(join(root, 'queues/other/succeeded/job_b@w1.a/sub/audio.wav'));
    await put(join(root, 'queues/other/failed/job_d@w1.a/locked/audio.wav'));
    await put(join(root, 'outputs/.replaced/job_c@20240101/manifest.json'));
    await ownTree(root);
    await foreign(join(root, 'queues/other/succeeded/job_b@w1.a/sub'), 'unreadable');
    await foreign(join(root, 'queues/other/failed/job_d@w1.a/locked'), 'undeletable');
    await sleep(1500);

    const dry = await imk('cleanup', '--dry-run', '--root', root);
    expect(dry.exitCode).toBe(1);
    expect(dry.stderr).toContain(`kept archives ${join(root, 'queues/other/succeeded/job_b@w1.a')}: EACCES`);
    expect(dry.stdout).toContain(`would remove archives`);

    const real = await imk('cleanup', '--root', root);
    expect(real.exitCode).toBe(1);
    expect(real.stderr).toContain(`kept archives ${join(root, 'queues/other/succeeded/job_b@w1.a')}: EACCES`);
    expect(real.stderr).toContain(`kept archives ${join(root, 'queues/other/failed/job_d@w1.a')}: EACCES`);
    expect(real.stderr).toContain('check its owner and permissions');
    expect(real.stdout).toContain('freed 2 B in 2 entries');
    expect(await readdir(join(root, 'queues/other/succeeded'))).toEqual(['job_b@w1.a']);
    expect(await readdir(join(root, 'queues/other/failed'))).toEqual(['job_d@w1.a']);
    expect(await readdir(join(root, 'outputs/.replaced'))).toEqual([]);
  });
});
