// `imk doctor` diagnoses; it must not change what it diagnoses. Its disk-guard check created outputs/
// (mkdir -p) to test it: with outputs/ on a share that is not mounted, doctor made the folder on the
// empty mount point, measured the local disk, and said all was well; the worker's outputs then landed
// there and vanished from view once the share was mounted. Now a missing outputs/ is reported, and the
// free space of the filesystem it would be created on is what is measured.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IMK } from './imk-bin.ts';

let base = '';
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'imk-doctor-mount-'));
});
afterEach(() => rm(base, { recursive: true, force: true }));

describe('imk doctor with outputs/ on a share that is not mounted', () => {
  it('reports the folder missing and creates nothing under the mount point', async () => {
    const root = join(base, 'root');
    const mountPoint = join(base, 'mnt', 'nas');
    await mkdir(join(root, 'config'), { recursive: true });
    await mkdir(mountPoint, { recursive: true });
    const outputs = join(mountPoint, 'imk', 'outputs');
    await writeFile(join(root, 'config', 'paths.yaml'), `outputs: ${outputs}\n`);

    const result = await execa(process.execPath, [IMK, 'doctor', '--root', root], { reject: false });

    expect(result.stdout).toMatch(/disk guard .*free for outputs\/ \(on the filesystem of /);
    expect(result.stdout).toContain(`${outputs} missing: created on first use`);
    expect(await readdir(mountPoint)).toEqual([]);
  });

  it('shows the free space of one disk as the same figure, in the same unit, on every line', async () => {
    const root = join(base, 'root');
    await mkdir(root, { recursive: true });
    const result = await execa(process.execPath, [IMK, 'doctor', '--root', root], { reject: false });
    // Before, "free disk" said 75.9 GiB and "disk guard" 75.9 GB for the same bytes.
    const free = /free disk +(\S+ \S+) free on the filesystem/.exec(result.stdout)?.[1];
    const guard = /disk guard +(\S+ \S+) free for outputs/.exec(result.stdout)?.[1];
    expect(free).toMatch(/^[\d.]+ (B|KiB|MiB|GiB|TiB)$/);
    expect(guard).toBe(free);
  });
});
