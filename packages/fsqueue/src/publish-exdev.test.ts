import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { lstat, mkdtemp, open, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raceTries, startSwapper, waitsOnFifo, type Swapper } from '@imk/fs-safe/testing';
import { publishBundle } from './publish.ts';

// A file added with `move: true` (a download in a scratch folder) is renamed into the bundle; when the
// scratch folder is on another filesystem than the queue (a tmpfs, another mount of a container), rename
// fails with EXDEV and the file was copied by name (copyFile) after the checks: a source swapped meanwhile
// for a link to a FIFO blocked the copy (and the producer) forever, a link to another file of this host had
// that file copied into the bundle. The fallback now copies from the descriptor it checked. /dev/shm (a
// tmpfs) against the temp folder gives a real EXDEV; a real swapper swaps the source with a link.
const SCRATCH_ROOT = '/dev/shm';
let scratch: string;
let root: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(SCRATCH_ROOT, 'imk-exdev-'));
  root = await mkdtemp(join(tmpdir(), 'imk-exdev-queue-'));
  // The test proves nothing unless a rename between the two folders does fail with EXDEV here.
  await writeFile(join(scratch, 'probe'), '');
  const code = await rename(join(scratch, 'probe'), join(root, 'probe')).then(
    () => 'renamed',
    (error: NodeJS.ErrnoException) => error.code,
  );
  expect(code, `${SCRATCH_ROOT} and ${tmpdir()} must be two filesystems for this test`).toBe('EXDEV');
  await writeFile(join(scratch, 'secret'), 'a file of this host that is not the song');
  execFileSync('mkfifo', [join(scratch, 'fifo')]);
});
afterAll(async () => {
  // Frees any copy the old code left waiting on the FIFO: a writer comes and goes.
  await open(join(scratch, 'fifo'), constants.O_WRONLY | constants.O_NONBLOCK).then(
    (handle) => handle.close(),
    () => undefined,
  );
  await Promise.all([scratch, root].map((dir) => rm(dir, { recursive: true, force: true })));
});

let n = 0;
const publishMoved = (source: string) => {
  const id = `exdev_${n++}`;
  return {
    id,
    published: publishBundle({
      queueDir: join(root, 'queues', 'other'),
      job: { job_id: id, source_type: 'local', audio_path: 'audio.m4a', title: 'T' },
      files: [{ name: 'audio.m4a', source, move: true }],
    }),
  };
};

describe('a file moved into a bundle on another filesystem', () => {
  it('is copied and its source removed', async () => {
    await writeFile(join(scratch, 'plain.m4a'), 'a downloaded song');
    const { id, published } = publishMoved(join(scratch, 'plain.m4a'));
    await published;
    expect(await readFile(join(root, 'queues', 'other', `job_${id}`, 'audio.m4a'), 'utf8')).toBe(
      'a downloaded song',
    );
    await expect(readFile(join(scratch, 'plain.m4a'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('is refused when it is a link, on one filesystem or two: a move takes the file itself, never what a link leads to', async () => {
    for (const folder of [scratch, root]) {
      const link = join(folder, 'link.m4a');
      await symlink(join(scratch, 'secret'), link);
      const { id, published } = publishMoved(link);
      const error = (await published.catch((e: unknown) => e)) as { code?: string; message: string };
      expect(error.code, folder).toBe('SOURCE_NOT_FILE');
      expect(error.message).toContain(`${link} (bundle file audio.m4a) is a symbolic link`);
      await expect(lstat(join(root, 'queues', 'other', `job_${id}`))).rejects.toMatchObject({
        code: 'ENOENT',
      });
      expect((await lstat(link)).isSymbolicLink()).toBe(true);
    }
  });

  describe.each([
    ['a FIFO', 'fifo'],
    ['another file of this host', 'secret'],
  ])('swapped for a link to %s while it is published', (_, other) => {
    let swapper: Swapper | undefined;
    afterAll(() => swapper?.stop());

    it('is moved whole or refused naming it; never waits, never copies what the link leads to', async () => {
      const folder = await mkdtemp(join(scratch, 'swap-'));
      await writeFile(join(folder, 'original.m4a'), 'the producer song');
      swapper = await startSwapper({
        folder,
        name: 'song.m4a',
        original: 'original.m4a',
        other: join(scratch, other),
      });
      const counts = await raceTries(
        ['moved', 'refused'],
        { least: 40, most: 300, enough: (c) => c.moved > 0 && c.refused > 0 },
        async () => {
          const { id, published } = publishMoved(join(folder, 'song.m4a'));
          const outcome = published.then(
            () => 'moved' as const,
            (error: unknown) => {
              expect((error as Error).message).toContain(join(folder, 'song.m4a'));
              expect((error as { code?: string }).code).toMatch(/^SOURCE_(NOT_FILE|MISSING)$/);
              return 'refused' as const;
            },
          );
          // The old copy by name waited on the FIFO forever: a thread seen in that wait is the sign of it.
          const timer = new AbortController();
          const hung = waitsOnFifo(timer.signal);
          const said = await Promise.race([outcome, hung]);
          timer.abort();
          expect(said, 'the publish waited on the FIFO').not.toBe('hung');
          if (said === 'moved')
            expect(await readFile(join(root, 'queues', 'other', `job_${id}`, 'audio.m4a'), 'utf8')).toBe(
              'the producer song',
            );
          return said as 'moved' | 'refused';
        },
      );
      expect(counts.moved).toBeGreaterThan(0);
    }, 240_000);
  });
});
