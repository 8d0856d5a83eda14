import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { raceTries, startSwapper } from '../test/testing.ts';
import { digestFile, sha256AndBytes, sha256Buffer, sha256File } from './hash.ts';

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

  it('refuses a FIFO (or a device) where a file of ours was, at once, without waiting for a writer', async () => {
    // sync re-hashes an artifact of outputs/ by name after checking it: swapped for a FIFO meanwhile, the
    // open waited for a writer that never comes, and the pass hung. Nothing writes to this FIFO: an answer
    // at all shows no call blocked.
    const fifo = join(dir, 'swapped.flac');
    await execa('mkfifo', [fifo]);
    for (const hashing of [
      () => sha256File(fifo),
      () => digestFile(fifo, ['sha256']),
      () => sha256AndBytes(fifo),
    ])
      await expect(hashing()).rejects.toThrow(/swapped\.flac is a FIFO \(named pipe\), not a regular file/);
    await expect(sha256File('/dev/zero')).rejects.toThrow(/character device/);
  });

  it('names the file it cannot read', async () => {
    await expect(sha256File(join(dir, 'missing.m4a'))).rejects.toThrow(/missing\.m4a/);
  });
});

describe('sha256AndBytes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'imk-hash-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('says the size of what it hashed, as sha256sum and the file system do', async () => {
    const path = join(dir, 'sized');
    await writeFile(path, randomBytes(5 * MiB + 11));
    const { stdout } = await execa('sha256sum', [path]);
    expect(await sha256AndBytes(path)).toEqual({ sha256: stdout.split(' ')[0], bytes: 5 * MiB + 11 });
  });

  // A name swapped again and again between the song and a link to another file (a real python3 swapper):
  // each answer is one file's size with that file's hash, never one file's size with the other's hash.
  it('gives the size and hash of one file under a name being swapped', async () => {
    const original = { data: randomBytes(3 * MiB + 1) };
    const other = { data: randomBytes(2 * MiB + 5) };
    await writeFile(join(dir, 'original'), original.data);
    await writeFile(join(dir, 'other'), other.data);
    const facts = (data: Buffer) => ({ sha256: sha256Buffer(data), bytes: data.length });
    const swapper = await startSwapper({
      folder: dir,
      name: 'song',
      original: 'original',
      other: join(dir, 'other'),
    });
    try {
      const counts = await raceTries(
        ['original', 'other', 'refused'],
        { least: 40, most: 400, enough: (c) => c.original > 0 && c.other > 0 },
        async () => {
          // Followed links: the "other" file may be read, but only ever whole.
          const got = await sha256AndBytes(join(dir, 'song'), { untrusted: { followLinks: true } }).catch(
            () => undefined,
          );
          if (got === undefined) return 'refused';
          if (got.sha256 === facts(original.data).sha256) {
            expect(got).toEqual(facts(original.data));
            return 'original';
          }
          expect(got).toEqual(facts(other.data));
          return 'other';
        },
      );
      expect(counts.original).toBeGreaterThan(0);
    } finally {
      await swapper.stop();
    }
  }, 120_000);
});
