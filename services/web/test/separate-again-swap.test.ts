import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raceTries, startSwapper, type Swapper } from '@imk/fs-safe/testing';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { makeOutput, quietLogger, tempRoot } from './helpers.ts';

// "Separate again" copies the files of a job's archived bundle into a new bundle. It listed them with
// readdir (regular files only) and then copied each by name, following links: a song swapped for a link to
// another file of this host in between was copied, and queued as the song (its content separated and
// published as the job's). The files are now copied from a descriptor opened inside the archived bundle
// (no link followed). A real swapper swaps the archived song between itself and a link to a "secret".
let cleanup: () => Promise<void>;
let root: string;
let web: RunningWeb;
let swapper: Swapper | undefined;
const stop = new AbortController();
const SECRET = Buffer.from('a file of this host that no bundle may carry\n');
let song: Buffer;

beforeAll(async () => {
  ({ root, cleanup } = await tempRoot());
  await makeOutput(root, 'job_swap');
  const archived = join(root, 'queues', 'other', 'succeeded', 'job_job_swap');
  await mkdir(archived, { recursive: true });
  await cp(
    join(root, 'outputs', 'job_swap', 'files', 'audio', 'Test Artist - Sine Song.m4a'),
    join(archived, 'original.m4a'),
  );
  song = await readFile(join(archived, 'original.m4a'));
  await writeFile(
    join(archived, 'job.json'),
    JSON.stringify({
      job_id: 'job_swap',
      source_type: 'local',
      artist: 'Test Artist',
      title: 'Sine Song',
      audio_path: 'song.m4a',
    }),
  );
  await writeFile(join(root, 'secret.txt'), SECRET);
  web = await listenWeb({ root, logger: quietLogger(), signal: stop.signal, overrides: { port: 0 } });
  swapper = await startSwapper({
    folder: archived,
    name: 'song.m4a',
    original: 'original.m4a',
    other: join(root, 'secret.txt'),
  });
});

afterAll(async () => {
  await swapper?.stop();
  stop.abort();
  await web.closed;
  await cleanup();
});

describe('"Separate again" of an archived bundle whose song is being swapped for a link', () => {
  it('queues the song itself or refuses, never the file the link leads to', async () => {
    const counts = await raceTries(
      ['song', 'refused'],
      { least: 30, most: 200, enough: (c) => c.song > 0 && c.refused > 0 },
      async () => {
        const answer = await fetch(`${web.url}/api/jobs/job_swap/separate-again`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        if (answer.status !== 202) {
          // Refused, naming the archived bundle and why: its song (or the swapper's own temp name beside it,
          // which the copy meets too) is a link, or went away between the listing and the copy.
          const { message } = (await answer.json()) as { message: string };
          expect(message, message).toContain('job_job_swap');
          expect(message, message).toMatch(/symbolic link|does not exist/);
          return 'refused';
        }
        const { job_id } = (await answer.json()) as { job_id: string };
        const bundle = join(root, 'queues', 'other', `job_${job_id}`);
        const queued = await readFile(join(bundle, 'song.m4a'));
        // The next try is not "pending" behind this one.
        await rm(bundle, { recursive: true, force: true });
        expect(queued.equals(SECRET), 'the file the link leads to was queued as the song').toBe(false);
        expect(queued.equals(song)).toBe(true);
        return 'song';
      },
    );
    expect(counts.song).toBeGreaterThan(0);
  }, 180_000);
});
