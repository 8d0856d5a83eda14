import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pathExists } from './exists.ts';

describe('pathExists', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'imk-exists-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('is true for a file, a folder and a dangling link (the name is taken), false for nothing', async () => {
    await writeFile(join(dir, 'file'), 'x');
    await symlink(join(dir, 'gone'), join(dir, 'dangling'));
    expect(await pathExists(join(dir, 'file'))).toBe(true);
    expect(await pathExists(dir)).toBe(true);
    expect(await pathExists(join(dir, 'dangling'))).toBe(true);
    expect(await pathExists(join(dir, 'nothing'))).toBe(false);
  });

  it('throws errors other than "not found" instead of calling the name free', async () => {
    await expect(pathExists(join(dir, 'file', 'below-a-file'))).rejects.toThrow(/ENOTDIR/);
  });
});
