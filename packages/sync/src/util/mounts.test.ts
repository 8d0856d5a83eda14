import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.ts';
import { assertShareMounted, fstabMountPoints, type MountTables } from './mounts.ts';

let dir: { path: string; remove(): Promise<void> };
let tables: MountTables;
beforeEach(async () => {
  dir = await tempDir('imk-mounts-');
  tables = { fstab: join(dir.path, 'fstab'), mountinfo: join(dir.path, 'mountinfo') };
});
afterEach(() => dir.remove());

const mountinfoLine = (point: string) => `100 26 0:50 / ${point} rw - nfs4 nas:/x rw\n`;
const check = (path: string) => assertShareMounted(tables, path, { backend: 'nas', route: 'r' });

describe('the unmounted-share rule', () => {
  it('reads fstab mount points, skipping comments, swap and blank lines', async () => {
    await writeFile(
      tables.fstab,
      '# c\n\n/dev/sda1 / ext4 defaults 0 1\n/swap none swap sw 0 0\nnas:/m /mnt/a\\040b/ nfs 0 0\n',
    );
    expect(await fstabMountPoints(tables.fstab)).toEqual(['/', '/mnt/a b']);
  });

  it('the deepest fstab entry above the path decides: a mounted parent does not cover an unmounted child', async () => {
    const outer = join(dir.path, 'outer');
    const inner = join(outer, 'inner');
    await mkdir(inner, { recursive: true });
    await writeFile(tables.fstab, `a ${outer} nfs 0 0\nb ${inner} nfs 0 0\n`);
    await writeFile(tables.mountinfo, mountinfoLine(outer));
    await expect(check(join(inner, 'Music', 'x.m4a'))).rejects.toThrow(`${inner} is listed`);
    await expect(check(join(outer, 'other', 'x.m4a'))).resolves.toBeUndefined();
    // A path beside the entry with the same prefix is not under it.
    await expect(check(`${inner}2/x.m4a`)).resolves.toBeUndefined();
  });

  it('follows a link to the share (a root that is a link into it)', async () => {
    const share = join(dir.path, 'share');
    await mkdir(share);
    await symlink(share, join(dir.path, 'music'));
    await writeFile(tables.fstab, `nas:/m ${share} nfs 0 0\n`);
    await writeFile(tables.mountinfo, '');
    await expect(check(join(dir.path, 'music', 'A', 'x.m4a'))).rejects.toMatchObject({
      code: 'SHARE_NOT_MOUNTED',
    });
  });

  it('passes when it cannot know: no fstab, or no mountinfo', async () => {
    await expect(check(join(dir.path, 'x.m4a'))).resolves.toBeUndefined();
    await writeFile(tables.fstab, `nas:/m ${dir.path} nfs 0 0\n`);
    await expect(check(join(dir.path, 'x.m4a'))).resolves.toBeUndefined();
  });
});
