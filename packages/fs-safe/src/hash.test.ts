import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { digestFile, sha256File } from './hash.ts';

const MiB = 1 << 20;

describe('sha256File', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'imk-hash-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  // Sizes around the one-read limit (1 MiB) and the read size of large files (4 MiB), checked against coreutils.
  it.each([0, 1, MiB - 1, MiB, MiB + 1, 4 * MiB, 4 * MiB + 1, 9 * MiB + 3])(
    'matches sha256sum for a file of %i bytes',
    async (size) => {
      const path = join(dir, `f${size}`);
      await writeFile(path, randomBytes(size));
      const { stdout } = await execa('sha256sum', [path]);
      expect(await sha256File(path)).toBe(stdout.split(' ')[0]);
    },
  );

  it('gives several digests from one read, each equal to its coreutils tool', async () => {
    const path = join(dir, 'several');
    await writeFile(path, randomBytes(6 * MiB + 7));
    const tool = async (name: string) => (await execa(name, [path])).stdout.split(' ')[0];
    expect(await digestFile(path, ['sha256', 'sha1', 'md5'])).toEqual({
      sha256: await tool('sha256sum'),
      sha1: await tool('sha1sum'),
      md5: await tool('md5sum'),
    });
  });

  it('names the file it cannot read', async () => {
    await expect(sha256File(join(dir, 'missing.m4a'))).rejects.toThrow(/missing\.m4a/);
  });
});
