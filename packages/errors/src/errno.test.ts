import { mkdtemp, readFile, rm, symlink, writeFile, lstat, readdir, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAbsentErrno } from './errno.ts';

// Real errors from the file system, not made-up codes: what each way of asking says when nothing is there.
describe('isAbsentErrno', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'imk-absent-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'file'), 'x');
  await symlink('loop', join(dir, 'loop'));

  const errorOf = (run: () => Promise<unknown>): Promise<unknown> =>
    run().then(
      () => undefined,
      (error: unknown) => error,
    );

  it.each([
    ['a name that is not there (lstat)', () => lstat(join(dir, 'nothing')), true],
    ['a name below a file (lstat)', () => lstat(join(dir, 'file', 'below')), true],
    ['a folder below a file (readdir)', () => readdir(join(dir, 'file', 'sub')), true],
    ['a file read below a file', () => readFile(join(dir, 'file', 'below.json')), true],
    ['a rename from below a file', () => rename(join(dir, 'file', 'x'), join(dir, 'y')), true],
    ['a link loop', () => readFile(join(dir, 'loop')), false],
    ['a folder read as a file', () => readFile(dir), false],
  ] as const)('%s: absent is %s', async (_what, run, absent) => {
    const error = await errorOf(run);
    expect(error).toBeDefined();
    expect(isAbsentErrno(error)).toBe(absent);
  });

  it('says nothing is absent for a value that is no errno error', () => {
    expect(isAbsentErrno(undefined)).toBe(false);
    expect(isAbsentErrno(new Error('ENOENT'))).toBe(false);
  });
});
