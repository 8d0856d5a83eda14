import { chmod, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pathExists } from '@imk/fs-safe';
import { mixClaimName, partialDirName } from '@imk/protocol';
import {
  folderNames,
  imk,
  publishV1,
  readManifest,
  removeRoot,
  rootWithSeparatedSong,
  waitFor,
  stopWorker,
} from './helpers.ts';

// Two mixes of one song saved in a row: the worker runs the remixes of one job one after another, so the
// second waits while the first writes the job's outputs. Cancelled while it waits, it stops at once (it
// does not wait for the first to finish), and the first is published whole. Real `imk run`; ffmpeg behind a
// wrapper that holds the first mix's encode into the job's partial folder (under the mix claim, which a mix
// takes only once it is mixed) until the test lets it go. The cancel is sent once the worker has said that
// the second mix waits for the first: never while it may still be mixing or already done, whatever the
// machine's speed.
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
    const marker = join(root, 'encode-started');
    const wrapper = join(root, 'ffmpeg-slow');
    // The first mix's encode into outputs/.song.partial-… (under the claim) is held for as long as this file
    // exists: the cancel must be done while it is. (The consumer '*': any worker's, as a shell pattern.)
    const hold = join(root, 'hold-encode');
    await writeFile(hold, '');
    await writeFile(
      wrapper,
      `#!/bin/sh\ncase "$*" in *${partialDirName('song', '*')}) touch "${marker}"; while [ -e "${hold}" ]; do sleep 0.1; done ;; esac\nexec ffmpeg "$@"\n`,
    );
    await chmod(wrapper, 0o755);
    await remix('remix_slow', 'slow_mix', { tempo: 0.9 });
    const worker = imk(['run', '--root', root], { env: { IMK_FFMPEG: wrapper, IMK_LOG_LEVEL: 'debug' } });
    let log = '';
    worker.all?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const queue = join(root, 'queues', 'other');
    try {
      await waitFor(() => pathExists(marker), 60_000, 'the first mix to start writing its file');
      expect(await pathExists(join(root, 'outputs', mixClaimName('song')))).toBe(true);
      await remix('remix_waiting', 'waiting_mix');
      await waitFor(
        () =>
          log.includes(
            "remix remix_waiting waits for this worker's earlier mix of job song to finish writing its outputs",
          ),
        60_000,
        'the worker to say that the second mix waits for the first',
      );
      expect((await folderNames(join(queue, 'claimed'))).some((n) => n.includes('remix_waiting'))).toBe(true);
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
      // Stopped while the first mix is still held in its encode: it did not wait for it.
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
      await stopWorker(worker);
    }
  }, 180_000);
});
