import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacySample } from '@imk/media/legacy-samples';
import { ffmpeg } from '@imk/media/testing';
import { IMK } from './imk-bin.ts';

// A write that found no room was said in the user's words, naming the file, and then again in Node's:
// "…the disk is full (no space left on the device): ENOSPC: no space left on device, write". The file size
// limit (ulimit -f, SIGXFSZ ignored as a service manager may) makes every write past it fail with EFBIG,
// of the same class (fs-safe's writeError) as a full disk or quota, without a disk to fill.
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-no-room-'));
  await ffmpeg('-f', 'lavfi', '-i', 'sine=f=440:d=1', join(dir, 'song.wav'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** `imk <args>` as a process whose writes may not pass `kib` KiB. */
function imkLimited(kib: number, args: string[]) {
  return execa(
    'bash',
    ['-c', `trap '' XFSZ; ulimit -f ${kib}; exec "$@"`, 'imk', process.execPath, IMK, ...args],
    {
      reject: false,
    },
  );
}

const LIMIT_WORDS = "the file size limit was reached (ulimit -f, or the filesystem's largest file)";

describe('a write that finds no room', () => {
  it.each([
    [0, 'imk-producer.json'],
    [8, 'audio.wav'],
  ])(
    'imk enqueue (writes up to %i KiB) names the file (%s) and says why once, in plain words; nothing is left in the queue',
    async (kib, file) => {
      const root = join(dir, `enqueue-${kib}`);
      const result = await imkLimited(kib, ['enqueue', join(dir, 'song.wav'), '--root', root]);
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toMatch(
        new RegExp(`cannot write .*queues/other/job_song-[0-9a-f]+\\.tmp/${file.replace('.', '\\.')}: `),
      );
      expect(result.stderr).toContain(LIMIT_WORDS);
      expect(result.stderr).not.toMatch(/EFBIG|file too large/);
      expect(await readdir(join(root, 'queues', 'other'))).toEqual([]);
    },
  );

  it('imk migrate names the config file and says why once', async () => {
    const root = join(dir, 'migrate');
    const result = await imkLimited(0, [
      'migrate',
      '--env',
      legacySample('legacy.env.example'),
      '--root',
      root,
    ]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain(`cannot write ${join(root, 'config')}`);
    expect(result.stderr).toContain(LIMIT_WORDS);
    expect(result.stderr).not.toMatch(/EFBIG|file too large/);
  });
});
