import { chmod, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pathExists } from '@imk/fs-safe';
import {
  folderNames,
  imk,
  publishV1,
  readManifest,
  removeRoot,
  rootWithSeparatedSong,
  waitFor,
} from './helpers.ts';

// Two mixes of one song saved in a row: the worker runs the remixes of one job one after another, so the
// second waits while the first renders. Cancelled while it waits, it stops at once (it does not wait for
// the first to finish), and the first is published whole. Real `imk run`; ffmpeg behind a wrapper that
// holds the first mix's key/tempo step (rubberband) until the test lets it go.
let root: string;

beforeAll(async () => {
  root = await rootWithSeparatedSong({
    pollMs: 100,
    concurrency: 2,
    variants: ['instrumental'],
    output: { format: 'wav' },
  });
}, 120_000);
afterAll(() => removeRoot(root));

const remix = (id: string, variant: string, extra: Record<string, unknown> = {}) =>
  publishV1(
    root,
    'other',
    {
      job_id: id,
      source_type: 'remix',
      artist: 'A',
      title: 'Song',
      remix: { of: 'song', variant, stems: { vocals: 1 }, ...extra },
    },
    {},
  );

describe('a mix cancelled while it waits for another mix of the same song', () => {
  it('stops at once; the other is published; nothing is left behind', async () => {
    const marker = join(root, 'rubberband-started');
    const wrapper = join(root, 'ffmpeg-slow');
    // The first mix's tempo step is held for as long as this file exists: the cancel must be done while it is.
    const hold = join(root, 'hold-rubberband');
    await writeFile(hold, '');
    await writeFile(
      wrapper,
      `#!/bin/sh\ncase "$*" in *rubberband*) touch "${marker}"; while [ -e "${hold}" ]; do sleep 0.1; done ;; esac\nexec ffmpeg "$@"\n`,
    );
    await chmod(wrapper, 0o755);
    await remix('remix_slow', 'slow_mix', { tempo: 0.9 });
    const worker = imk(['run', '--root', root], { env: { IMK_FFMPEG: wrapper } });
    const queue = join(root, 'queues', 'other');
    try {
      await waitFor(() => pathExists(marker), 60_000, 'the first mix to reach its tempo change');
      await remix('remix_waiting', 'waiting_mix');
      await waitFor(
        async () => (await folderNames(join(queue, 'claimed'))).some((n) => n.includes('remix_waiting')),
        30_000,
        'the second mix to be claimed',
      );
      const cancelled = await imk([
        'cancel',
        'remix_waiting',
        '--reason',
        'saved by mistake',
        '--root',
        root,
      ]);
      expect(cancelled.exitCode, String(cancelled.all)).toBe(0);
      expect(cancelled.stdout).toMatch(/job remix_waiting was running; it is stopped, nothing was published/);
      // Stopped while the first mix is still held in its tempo change: it did not wait for it.
      expect(await folderNames(join(queue, 'cancelled'))).toEqual(['job_remix_waiting']);
      expect(await folderNames(join(queue, 'succeeded'))).not.toContainEqual(
        expect.stringContaining('remix_slow'),
      );
      await rm(hold);

      await waitFor(
        async () => (await folderNames(join(queue, 'succeeded'))).some((n) => n.includes('remix_slow')),
        60_000,
        'the first mix to be published',
      );
      const variants = (await readManifest(root, 'song')).artifacts.map((a) => a.variant).sort();
      expect(variants).toEqual(['instrumental', 'slow_mix@0.9x']);
      expect(
        (await readdir(join(root, 'outputs'))).filter((n) => n.startsWith('.') && n !== '.replaced'),
      ).toEqual([]);
    } finally {
      await rm(hold, { force: true });
      worker.kill('SIGTERM');
      await worker;
    }
  }, 180_000);
});
