import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PROCESS_COUNTING_ENGINE,
  engineCalls,
  imk,
  makeSong,
  publishV1,
  readManifest,
  makeRoot,
  removeRoot,
  waitFor,
} from './helpers.ts';

// A normal run of a job took the claim on its outputs (outputs/.<job>.mixing/) in its hash stage, before
// decoding and separating, and held it through the whole separation: a mix of that job saved meanwhile
// (the dashboard's mixer) waited minutes for it. The run now takes the claim only to write its outputs.
// Here the run's separation is held (the counting engine waits while a file exists) until the mix is
// published, however long that takes on a loaded machine: a mix that waited for the run would never be.
// One real `imk run --once` doing both side by side.
let root: string;

beforeAll(async () => {
  root = await makeRoot((dir) => ({
    pollMs: 100,
    concurrency: 2,
    variants: ['instrumental'],
    output: { format: 'wav' },
    engine: {
      name: 'counting',
      module: PROCESS_COUNTING_ENGINE,
      params: { counterFile: join(dir, 'first-run-calls.txt') },
    },
  }));
  await makeSong(join(root, 'song.m4a'), 2, 1);
  await publishV1(
    root,
    'other',
    { job_id: 'song', source_type: 'local', artist: 'A', title: 'Song', audio_path: 'song.m4a' },
    { 'song.m4a': join(root, 'song.m4a') },
  );
  const first = await imk(['run', '--once', '--root', root]);
  expect(JSON.parse(String(first.stdout)), String(first.all)).toMatchObject({ succeeded: 1 });
}, 120_000);
afterAll(() => removeRoot(root));

describe('a mix saved while a run of the same job is separating', () => {
  it('is published during the separation, and the run publishes after it', async () => {
    const before = await readManifest(root, 'song');
    // The same job again with a new download of the song (its archive cleaned up): separated again, held
    // in its separation for as long as the hold file exists.
    const hold = join(root, 'hold-separation');
    await writeFile(hold, '');
    // Its archive cleaned up by retention: while another queue holds the id, a publish of it is refused.
    await rm(join(root, 'queues', 'other', 'succeeded'), { recursive: true, force: true });
    await makeSong(join(root, 'again.m4a'), 2, 5);
    await publishV1(
      root,
      'youtube_audio',
      {
        job_id: 'song',
        source_type: 'local',
        artist: 'A',
        title: 'Song',
        audio_path: 'again.m4a',
        options: { engine_params: { counterFile: engineCalls(root), holdWhile: hold } },
      },
      { 'again.m4a': join(root, 'again.m4a') },
    );
    const worker = imk(['run', '--once', '--root', root], { env: { IMK_LOG_LEVEL: 'info' } });
    let log = '';
    worker.all?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    await waitFor(
      async () => (await readFile(engineCalls(root), 'utf8').catch(() => '')).length > 0,
      60_000,
      'the run to start separating',
    );
    await publishV1(
      root,
      'other',
      {
        job_id: 'remix_meanwhile',
        source_type: 'remix',
        artist: 'A',
        title: 'Song',
        remix: { of: 'song', variant: 'meanwhile', stems: { drums: 1, bass: 1 } },
      },
      {},
    );
    try {
      // Published while the run's separation is held: the mix did not wait for it.
      await waitFor(
        async () =>
          (await readManifest(root, 'song').catch(() => before)).artifacts.some(
            (a) => a.variant === 'meanwhile',
          ),
        120_000,
        "the mix to be published while the run's separation is held",
      );
    } finally {
      await rm(hold, { force: true });
    }
    expect(log).not.toContain('are being written by');
    const mixed = await readManifest(root, 'song');
    expect(mixed.input.sha256).toBe(before.input.sha256);

    const result = await worker;
    expect(JSON.parse(String(result.stdout)), log).toMatchObject({ succeeded: 2, failed: 0 });
    // The run published its own outputs of the new download afterwards (the mix's folder moved aside).
    expect((await readManifest(root, 'song')).input.sha256).not.toBe(before.input.sha256);
  }, 180_000);
});
