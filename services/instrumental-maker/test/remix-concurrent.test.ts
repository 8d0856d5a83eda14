import { join } from 'node:path';
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imk, makeRoot, makeSong, publishV1, readManifest, removeRoot } from './helpers.ts';

// A musician saves several mixes of one song from the page in a row ("Save this mix" twice, under two
// names). The worker runs jobs side by side (concurrency 2 here), so both remixes of the same job run at
// once: each must end up in the job's outputs, and neither may remove the other's work. Real `imk run`.
let root: string;

beforeAll(async () => {
  root = await makeRoot({
    pollMs: 100,
    concurrency: 3,
    variants: ['instrumental'],
    output: { format: 'wav' },
  });
  await makeSong(join(root, 'song.m4a'), 2, 1);
  await publishV1(
    root,
    'other',
    { job_id: 'song', source_type: 'local', artist: 'A', title: 'Song', audio_path: 'song.m4a' },
    { 'song.m4a': join(root, 'song.m4a') },
  );
  const result = await imk(['run', '--once', '--root', root]);
  expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ succeeded: 1 });
}, 120_000);
afterAll(() => removeRoot(root));

describe('mixes of one job saved at the same time', () => {
  it('are all added to its outputs; none is lost or fails', async () => {
    const mixes = ['first_mix', 'second_mix', 'third_mix'];
    for (const [i, variant] of mixes.entries())
      await publishV1(
        root,
        'other',
        {
          job_id: `remix_${i}_${variant}`,
          source_type: 'remix',
          artist: 'A',
          title: 'Song',
          remix: { of: 'song', variant, stems: { vocals: 1, bass: i / 2 }, tempo: 0.9 },
        },
        {},
      );
    const result = await imk(['run', '--once', '--root', root]);
    expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ succeeded: 3, failed: 0 });
    const manifest = await readManifest(root, 'song');
    expect(manifest.artifacts.map((a) => a.variant).sort()).toEqual([
      'first_mix@0.9x',
      'instrumental',
      'second_mix@0.9x',
      'third_mix@0.9x',
    ]);
    const audio = await readdir(join(root, 'outputs', 'song', 'files', 'audio'));
    for (const a of manifest.artifacts) expect(audio).toContain(a.path.split('/').pop());
    // Nothing half-made is left in outputs/.
    expect(
      (await readdir(join(root, 'outputs'))).filter((n) => n.startsWith('.') && n !== '.replaced'),
    ).toEqual([]);
  }, 180_000);
});
