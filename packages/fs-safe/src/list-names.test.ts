import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listEntriesOrEmpty, listNamesOrEmpty } from './list-names.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-list-'));
  await mkdir(join(dir, 'folder', 'sub'), { recursive: true });
  await writeFile(join(dir, 'folder', 'file.txt'), 'x');
  await writeFile(join(dir, 'plain'), 'x');
  // A link to itself: reading it fails with ELOOP, an error that is not "nothing there".
  await symlink('loop', join(dir, 'loop'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('listing a folder that may not be there', () => {
  it('a folder never made, or a file where it should be, is empty; its names and kinds otherwise', async () => {
    for (const list of [listNamesOrEmpty, listEntriesOrEmpty]) {
      expect(await list(join(dir, 'never-made'))).toEqual([]);
      expect(await list(join(dir, 'plain'))).toEqual([]);
    }
    expect((await listNamesOrEmpty(join(dir, 'folder'))).sort()).toEqual(['file.txt', 'sub']);
    const entries = await listEntriesOrEmpty(join(dir, 'folder'));
    expect(entries.filter((e) => e.isDirectory()).map((e) => e.name)).toEqual(['sub']);
  });

  it('any other error is thrown, not taken for an empty folder', async () => {
    for (const list of [listNamesOrEmpty, listEntriesOrEmpty])
      await expect(list(join(dir, 'loop'))).rejects.toMatchObject({ code: 'ELOOP' });
  });
});
