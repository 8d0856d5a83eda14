import { lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { moveNoClobber, moveToFreeName, writeFileNoClobber } from './no-clobber.ts';
import { writeJsonAtomic } from './atomic.ts';

describe('no-clobber moves and writes', async () => {
  const root = await mkdtemp(join(tmpdir(), 'imk-no-clobber-'));
  afterAll(() => rm(root, { recursive: true, force: true }));
  let count = 0;
  const fresh = async () => {
    const dir = join(root, String(++count));
    await mkdir(dir);
    return dir;
  };

  it('moveNoClobber moves to a free name and refuses a taken one (file, folder or dangling link)', async () => {
    const dir = await fresh();
    await writeFile(join(dir, 'a'), 'A');
    await writeFile(join(dir, 'taken'), 'theirs');
    await symlink(join(dir, 'gone'), join(dir, 'dangling'));
    expect(await moveNoClobber(join(dir, 'a'), join(dir, 'taken'))).toBe(false);
    expect(await moveNoClobber(join(dir, 'a'), join(dir, 'dangling'))).toBe(false);
    expect(await moveNoClobber(join(dir, 'a'), dir)).toBe(false);
    expect(await readFile(join(dir, 'taken'), 'utf8')).toBe('theirs');
    expect(await moveNoClobber(join(dir, 'a'), join(dir, 'b'))).toBe(true);
    expect(await readFile(join(dir, 'b'), 'utf8')).toBe('A');
    expect((await readdir(dir)).sort()).toEqual(['b', 'dangling', 'taken']);
  });

  it('moveNoClobber moves a link as a link, without following it', async () => {
    const dir = await fresh();
    await symlink('/etc/passwd', join(dir, 'link'));
    expect(await moveNoClobber(join(dir, 'link'), join(dir, 'moved'))).toBe(true);
    expect((await lstat(join(dir, 'moved'))).isSymbolicLink()).toBe(true);
  });

  it('writeFileNoClobber writes a new file and leaves a taken name as it was, with no temp file left', async () => {
    const dir = await fresh();
    await writeFile(join(dir, 'r.txt'), 'theirs');
    expect(await writeFileNoClobber(join(dir, 'r.txt'), 'ours')).toBe(false);
    expect(await writeFileNoClobber(join(dir, 'new.txt'), 'ours')).toBe(true);
    expect(await readFile(join(dir, 'r.txt'), 'utf8')).toBe('theirs');
    expect(await readFile(join(dir, 'new.txt'), 'utf8')).toBe('ours');
    expect((await readdir(dir)).sort()).toEqual(['new.txt', 'r.txt']);
  });

  it('moveToFreeName places a file and its companion together, skipping a number where either is taken', async () => {
    const dir = await fresh();
    await writeFile(join(dir, 'in'), 'data');
    await writeFile(join(dir, 'x-1.reason'), 'a reason file of the user');
    await writeFile(join(dir, 'x-2'), 'a file of the user');
    const placed = await moveToFreeName(join(dir, 'in'), {
      candidate: (n) => join(dir, `x-${n}`),
      companion: { suffix: '.reason', text: (at) => `moved to ${at}` },
    });
    expect(placed).toBe(join(dir, 'x-3'));
    expect(await readFile(join(dir, 'x-3'), 'utf8')).toBe('data');
    expect(await readFile(join(dir, 'x-3.reason'), 'utf8')).toBe(`moved to ${join(dir, 'x-3')}`);
    expect(await readFile(join(dir, 'x-1.reason'), 'utf8')).toBe('a reason file of the user');
    expect(await readFile(join(dir, 'x-2'), 'utf8')).toBe('a file of the user');
    expect((await readdir(dir)).sort()).toEqual(['x-1.reason', 'x-2', 'x-3', 'x-3.reason']);
  });

  it('moveToFreeName leaves no companion behind when the file to move is gone', async () => {
    const dir = await fresh();
    await expect(
      moveToFreeName(join(dir, 'missing'), {
        candidate: (n) => join(dir, `y-${n}`),
        companion: { suffix: '.reason', text: () => 'why' },
      }),
    ).rejects.toThrow(/ENOENT/);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('names at the 255-byte limit', () => {
  it('are written whole and atomically: the temp file beside them is named to fit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imk-long-'));
    try {
      const name = `${'é'.repeat(125)}.json`; // 255 bytes
      expect(Buffer.byteLength(name)).toBe(255);
      await writeJsonAtomic(join(dir, name), { ok: true });
      expect(await writeFileNoClobber(join(dir, `${'b'.repeat(250)}.txt`), 'x')).toBe(true);
      expect((await readdir(dir)).sort()).toEqual([`${'b'.repeat(250)}.txt`, name]);
      expect(JSON.parse(await readFile(join(dir, name), 'utf8'))).toEqual({ ok: true });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
