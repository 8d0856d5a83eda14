import { join } from 'node:path';
import { appendFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imk, jobDetail, publishV1, readManifest, removeRoot, rootWithSeparatedSong } from './helpers.ts';

// A musician saves several mixes of one song from the page in a row ("Save this mix" twice, under two
// names). The worker runs jobs side by side (concurrency 2 here), so both remixes of the same job run at
// once: each must end up in the job's outputs, and neither may remove the other's work. Real `imk run`.
let root: string;

beforeAll(async () => {
  root = await rootWithSeparatedSong({
    pollMs: 100,
    concurrency: 3,
    variants: ['instrumental'],
    output: { format: 'wav' },
  });
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

describe('a mix that fails', () => {
  it('leaves nothing behind in outputs/: no half-made folder, the job as it was', async () => {
    // One of the job's own files was changed on disk (a tagger, a hand edit): the mix cannot link it and
    // fails (LINKED_ARTIFACT_INVALID) after it began building the job's new outputs folder.
    const before = await readManifest(root, 'song');
    const file = join(root, 'outputs', 'song', 'files', 'audio', 'A - Song.wav');
    const original = await readFile(file);
    await appendFile(file, 'x');
    try {
      await publishV1(
        root,
        'other',
        {
          job_id: 'remix_failing',
          source_type: 'remix',
          artist: 'A',
          title: 'Song',
          remix: { of: 'song', variant: 'late_mix', stems: { vocals: 1 } },
        },
        {},
      );
      const result = await imk(['run', '--once', '--root', root]);
      expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ failed: 1 });
      expect((await jobDetail(root, 'remix_failing')).errors[0]?.message).toMatch(/LINKED_ARTIFACT_INVALID/);
      expect(
        (await readdir(join(root, 'outputs'))).filter((n) => n.startsWith('.') && n !== '.replaced'),
      ).toEqual([]);
      expect((await readManifest(root, 'song')).artifacts).toEqual(before.artifacts);
    } finally {
      await writeFile(file, original);
    }
  }, 120_000);
});
