import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pathExists } from './exists.ts';
import { moveNoClobber, writeFileNoClobber } from './no-clobber.ts';

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

  it('is false below a file (ENOTDIR: nothing can be there), as isAbsentErrno says', async () => {
    await writeFile(join(dir, 'plain'), 'x');
    expect(await pathExists(join(dir, 'plain', 'below-a-file'))).toBe(false);
    expect(await pathExists(join(dir, 'plain', 'deeper', 'still'))).toBe(false);
  });

  it('throws errors other than "nothing there" instead of calling the name free', async () => {
    // A link loop on the way (ELOOP) and a name longer than the filesystem allows (ENAMETOOLONG).
    await symlink('loop', join(dir, 'loop'));
    await expect(pathExists(join(dir, 'loop', 'x'))).rejects.toThrow(/ELOOP/);
    await expect(pathExists(join(dir, 'n'.repeat(300)))).rejects.toThrow(/ENAMETOOLONG/);
  });

  it('leaves a caller that writes below a file to learn ENOTDIR from its own call, never "taken" or "done"', async () => {
    await writeFile(join(dir, 'source'), 'data');
    await writeFile(join(dir, 'blocker'), 'a file where a folder should be');
    await expect(moveNoClobber(join(dir, 'source'), join(dir, 'blocker', 'target'))).rejects.toThrow(
      /ENOTDIR/,
    );
    await expect(writeFileNoClobber(join(dir, 'blocker', 'new.json'), '{}')).rejects.toThrow(/ENOTDIR/);
    expect(await pathExists(join(dir, 'source'))).toBe(true);
  });
});
