import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pathExists } from '@imk/fs-safe';
import {
  PROCESS_COUNTING_ENGINE,
  engineCalls,
  folderNames,
  imk,
  jobDetail,
  makeRoot,
  makeSong,
  publishLegacy,
  publishV1,
  removeRoot,
  stopWorker,
  waitFor,
} from './helpers.ts';

let root: string | undefined;
afterEach(() => removeRoot(root));

const calls = async (dir: string): Promise<number> =>
  (await readFile(engineCalls(dir), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;

// A bundle of several songs (the earlier version's audio_files) publishes each song as it is made: one
// cancelled after its first song was renamed into place stops the rest, and that song stays published.
// `imk cancel` said "it is stopped, nothing was published" while outputs/<id>/ was in the library.
describe('a cancel after some of a job was published', () => {
  it('stops the rest and says what was published and is kept, where', async () => {
    root = await makeRoot((dir) => ({
      pollMs: 100,
      concurrency: 1,
      variants: ['instrumental'],
      output: { format: 'wav' },
      // A separation that starts while the hold file exists stays in it until the file is gone.
      engine: {
        name: 'counting',
        module: PROCESS_COUNTING_ENGINE,
        params: { counterFile: engineCalls(dir), holdStartedWhile: join(dir, 'hold') },
      },
    }));
    const media = join(root, 'media');
    await mkdir(media);
    await makeSong(join(media, 'first.m4a'), 2, 1);
    await makeSong(join(media, 'second.m4a'), 2, 2);
    // The first song separated once already: in the album it is a cache hit (no engine call), so the one
    // separation the album starts is its second song's, which the hold keeps running.
    await publishV1(
      root,
      'other',
      { job_id: 'single', source_type: 'local', artist: 'A', title: 'First', audio_path: 'first.m4a' },
      { 'first.m4a': join(media, 'first.m4a') },
    );
    const once = await imk(['run', '--once', '--root', root]);
    expect(once.exitCode, String(once.all)).toBe(0);
    expect(await calls(root)).toBe(1);
    await writeFile(join(root, 'hold'), '');
    await publishLegacy(
      root,
      'other',
      {
        job_id: 'album',
        source_type: 'custom',
        artist: 'A',
        title: 'Album',
        audio_files: ['first.m4a', 'second.m4a'],
      },
      { 'first.m4a': join(media, 'first.m4a'), 'second.m4a': join(media, 'second.m4a') },
    );
    const worker = imk(['run', '--root', root]);
    try {
      await waitFor(
        async () => (await calls(root!)) === 2,
        60_000,
        'the second song of the album to start its separation',
      );
      expect(await pathExists(join(root, 'outputs', 'album', 'manifest.json'))).toBe(true);
      const cancelled = await imk(['cancel', 'album', '--reason', 'wrong album', '--root', root]);
      expect(cancelled.exitCode, String(cancelled.all)).toBe(0);
      expect(cancelled.stdout).not.toContain('nothing was published');
      expect(cancelled.stdout).toContain(
        `job album was running; it is stopped and kept in ${join(root, 'queues', 'other', 'cancelled', 'job_album')}. Published before the cancel, and kept: ${join(root, 'outputs', 'album')}`,
      );
      // The first song stays in the library; nothing of the second was published or left half-made.
      expect(await pathExists(join(root, 'outputs', 'album', 'manifest.json'))).toBe(true);
      expect((await folderNames(join(root, 'outputs'))).sort()).toEqual(['album', 'single']);
      const doc = JSON.parse(
        await readFile(join(root, 'queues', 'other', 'cancelled', 'job_album', 'imk-cancel.json'), 'utf8'),
      ) as Record<string, unknown>;
      // Its message is what the dashboard's job page shows for a cancelled job.
      expect(doc.message).toBe(
        `cancelled by imk cancel while running (stage separate): wrong album; published before the cancel, kept: ${join(root, 'outputs', 'album')}`,
      );
      expect(doc).toMatchObject({
        was: 'running',
        stage: 'separate',
        published: [join(root, 'outputs', 'album')],
      });
      // The ledger (imk job, the dashboard) says it too.
      const detail = await jobDetail(root, 'album');
      expect(detail.job.state).toBe('cancelled');
      expect(detail.events.at(-1)?.message).toContain(
        `wrong album; published before the cancel, kept: ${join(root, 'outputs', 'album')}`,
      );
    } finally {
      await stopWorker(worker);
    }
  }, 180_000);
});
