import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { claimMix } from '../src/mix-claim.ts';
import { runOnce } from '../src/index.ts';
import { publishV1, readManifest, removeRoot, rootWithSeparatedSong, waitFor } from './helpers.ts';

// Two roots served by one process (`imk up` of two roots, an embedding app, tests), each with a job
// `song`. The remix turns of a worker were kept per job id in a map of the process: a mix in one root
// waiting for its job's outputs kept the other root's mix of its own `song` waiting too, though the two
// share nothing on disk. Real workers (runOnce) of both roots in this process.
const config = { pollMs: 100, leaseMs: 1500, variants: ['instrumental'], output: { format: 'wav' } };
let first: string;
let second: string;

beforeAll(async () => {
  [first, second] = await Promise.all([rootWithSeparatedSong(config), rootWithSeparatedSong(config)]);
}, 180_000);
afterAll(async () => {
  await removeRoot(first);
  await removeRoot(second);
});

const remix = (root: string, id: string, variant: string) =>
  publishV1(
    root,
    'other',
    {
      job_id: id,
      source_type: 'remix',
      artist: 'A',
      title: 'Song',
      remix: { of: 'song', variant, stems: { drums: 1, bass: 0.5 } },
    },
    {},
  );

describe('mixes of a job id that two roots in one process both have', () => {
  it('do not wait on each other', async () => {
    // The first root's `song` is being written by another host: its mix waits for it, holding its turn.
    const holder = await claimMix({
      outputsDir: join(first, 'outputs'),
      jobId: 'song',
      consumerId: 'other-host-1-abc',
      leaseMs: config.leaseMs,
      pollMs: 50,
      signal: new AbortController().signal,
    });
    await remix(first, 'remix_first', 'first_mix');
    await remix(second, 'remix_second', 'second_mix');
    const lines = new PassThrough();
    let log = '';
    lines.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const firstRun = runOnce({
      root: first,
      logger: createLogger('first', { destination: lines }),
      concurrency: 1,
    });
    await waitFor(() => log.includes('being written by other-host-1-abc'), 60_000, 'the first mix to wait');

    const secondRun = runOnce({
      root: second,
      logger: createLogger('second', { level: 'silent' }),
      concurrency: 1,
    });
    // Before, the second root's mix waited for the first's turn, which ends only once the holder lets go:
    // the holder lets go only after the second run has ended, or after a minute to end the test.
    const letGo = setTimeout(() => void holder.release(), 60_000);
    try {
      const done = await Promise.race([
        secondRun.then(() => 'second' as const),
        firstRun.then(() => 'first' as const),
      ]);
      expect(done, 'the second root finished its mix while the first root still waited').toBe('second');
      expect(await secondRun).toMatchObject({ succeeded: 1, failed: 0 });
      expect((await readManifest(second, 'song')).artifacts.map((a) => a.variant).sort()).toEqual([
        'instrumental',
        'second_mix',
      ]);
    } finally {
      clearTimeout(letGo);
      await holder.release();
    }
    expect(await firstRun).toMatchObject({ succeeded: 1, failed: 0 });
    expect((await readManifest(first, 'song')).artifacts.map((a) => a.variant).sort()).toEqual([
      'first_mix',
      'instrumental',
    ]);
  }, 240_000);
});
