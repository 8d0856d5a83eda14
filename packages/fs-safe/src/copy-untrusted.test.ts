import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyOpenedFile } from './copy-untrusted.ts';
import { openUntrusted } from './untrusted.ts';

// A file read several times (probed, then hashed, then copied) by name could be another file at each read.
// copyOpenedFile copies from the descriptor the caller already read, hashing what it copies, and says when
// that very file was written to in place since the caller's first look.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-copy-opened-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

describe('copyOpenedFile', () => {
  it('copies and hashes the file opened, though its name was given to another file since', async () => {
    await writeFile(join(dir, 'song.mp3'), 'the song opened');
    const { handle, stats } = await openUntrusted(join(dir, 'song.mp3'));
    try {
      await writeFile(join(dir, 'other.mp3'), 'another file, saved over it');
      await rename(join(dir, 'other.mp3'), join(dir, 'song.mp3'));
      const copied = await copyOpenedFile(handle, join(dir, 'copy-1'), { name: 'song.mp3', since: stats });
      expect(copied).toEqual({ sha256: sha256('the song opened'), bytes: 15 });
      expect(await readFile(join(dir, 'copy-1'), 'utf8')).toBe('the song opened');
    } finally {
      await handle.close();
    }
  });

  it('says FILE_CHANGED, naming the file, when the file opened was written to since the first look', async () => {
    await writeFile(join(dir, 'growing.mp3'), 'half a song');
    const { handle, stats } = await openUntrusted(join(dir, 'growing.mp3'));
    try {
      await appendFile(join(dir, 'growing.mp3'), ', and the rest');
      const error = await copyOpenedFile(handle, join(dir, 'copy-2'), {
        name: 'growing.mp3',
        since: stats,
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'FILE_CHANGED', retryable: true });
      expect((error as Error).message).toMatch(/^growing\.mp3 changed while it was being read/);
    } finally {
      await handle.close();
    }
  });
});
