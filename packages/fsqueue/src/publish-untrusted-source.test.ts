import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raceTries, startSwapper, waitsOnFifo, type Swapper } from '@imk/fs-safe/testing';
import { publishBundle } from './publish.ts';

// The inbox checks a dropped song (a regular file, no link), probes and hashes it, then publishes a bundle
// that copies it. The copy followed links: a song swapped for a link to a file elsewhere on this host after
// the checks (the inbox is a share others write to) had that file queued and separated as the song. A source
// given with the folder it was found in (`within`) is now copied from a descriptor opened the untrusted way
// there; every kind of thing that is not a regular file of that folder is refused naming it, and no bundle
// is published.
let root: string;
let inbox: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-publish-untrusted-'));
  inbox = join(root, 'inbox');
  await mkdir(join(inbox, 'real'), { recursive: true });
  await mkdir(join(root, 'elsewhere'));
  await writeFile(join(root, 'elsewhere', 'secret.m4a'), 'not the song');
  await writeFile(join(inbox, 'song.m4a'), 'the song');
  await writeFile(join(inbox, 'real', 'song.m4a'), 'the song in a folder');
  await symlink(join(root, 'elsewhere', 'secret.m4a'), join(inbox, 'link.m4a'));
  await symlink(join(root, 'elsewhere'), join(inbox, 'sub'));
  execFileSync('mkfifo', [join(inbox, 'fifo.m4a')]);
  await mkdir(join(inbox, 'folder.m4a'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const publish = (id: string, source: string) =>
  publishBundle({
    queueDir: join(root, 'queues', 'other'),
    job: { job_id: id, source_type: 'local', audio_path: 'audio.m4a', title: 'T' },
    files: [{ name: 'audio.m4a', source: join(inbox, source), within: inbox }],
  });

describe('a bundle file copied from a folder someone else writes', () => {
  it.each([
    ['a link to a file elsewhere', 'link', 'link.m4a', /symbolic link/],
    ['a file behind a folder link that leaves the folder', 'sub', 'sub/secret.m4a', /moved out of/],
    ['a FIFO', 'fifo', 'fifo.m4a', /FIFO/],
    ['a folder', 'folder', 'folder.m4a', /folder/],
  ])('%s is refused naming it, and nothing is published', async (_, id, source, why) => {
    const error = (await publish(id, source).catch((e: unknown) => e)) as { code: string; message: string };
    expect(error.code).toBe('SOURCE_NOT_FILE');
    expect(error.message).toContain(source);
    expect(error.message).toMatch(why);
    expect(
      (await readdir(join(root, 'queues', 'other')).catch(() => [])).filter((n) => n.includes(id)),
    ).toEqual([]);
  });

  it.each([
    ['a regular file', 'plain', 'song.m4a'],
    ['a regular file in a real sub-folder', 'nested', 'real/song.m4a'],
  ])('%s is copied', async (_, id, source) => {
    const result = await publish(id, source);
    expect(await readFile(join(result.dir, 'audio.m4a'), 'utf8')).toBe(
      await readFile(join(inbox, source), 'utf8'),
    );
  });
});

// A source named by its producer (`imk enqueue song.wav`: links followed, no folder given) was checked
// (lstat, a link's target opened) and then copied by name: swapped meanwhile for a link to a FIFO, the copy
// opened the FIFO and waited for a writer forever (the producer with it). The copy now reads the
// descriptor it checked. A real swapper swaps the song for a link to a FIFO and back, again and again.
describe('a source the producer names, swapped for a link to a FIFO while it is published', () => {
  let swapper: Swapper | undefined;
  const own = () => join(root, 'own');
  afterAll(async () => {
    await swapper?.stop();
    // Frees any copy the old code left waiting on the FIFO: a writer comes and goes.
    const fifo = join(own(), 'fifo');
    await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK).then(
      (handle) => handle.close(),
      () => undefined,
    );
  });

  it('copies the song, or refuses it naming the file; never waits on the FIFO', async () => {
    await mkdir(own(), { recursive: true });
    await writeFile(join(own(), 'original.m4a'), 'the producer song');
    execFileSync('mkfifo', [join(own(), 'fifo')]);
    swapper = await startSwapper({
      folder: own(),
      name: 'song.m4a',
      original: 'original.m4a',
      other: join(own(), 'fifo'),
    });
    let n = 0;
    const counts = await raceTries(
      ['copied', 'refused', 'hung'],
      { least: 40, most: 300, enough: (c) => c.copied > 0 && c.refused > 0 },
      async () => {
        const id = `fifo_race_${n++}`;
        const published = publishBundle({
          queueDir: join(root, 'queues', 'other'),
          job: { job_id: id, source_type: 'local', audio_path: 'audio.m4a', title: 'T' },
          files: [{ name: 'audio.m4a', source: join(own(), 'song.m4a') }],
        }).then(
          () => 'copied' as const,
          (error: unknown) => {
            expect((error as Error).message).toContain(join(own(), 'song.m4a'));
            expect((error as { code?: string }).code).toMatch(/^SOURCE_(NOT_FILE|MISSING)$/);
            return 'refused' as const;
          },
        );
        const timer = new AbortController();
        const hung = waitsOnFifo(timer.signal);
        const outcome = await Promise.race([published, hung]);
        timer.abort();
        if (outcome === 'copied')
          expect(await readFile(join(root, 'queues', 'other', `job_${id}`, 'audio.m4a'), 'utf8')).toBe(
            'the producer song',
          );
        return outcome;
      },
    );
    expect(counts.hung).toBe(0);
    expect(counts.copied).toBeGreaterThan(0);
  }, 240_000);
});
