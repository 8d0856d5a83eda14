import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imk, jobDetail, makeRoot, makeSong, publishV1, readManifest, removeRoot } from './helpers.ts';

// Two variants of one job must never be written under one file name: the second would replace the first
// while the manifest lists both. Names that differ can still give one file name (a config recipe
// "drums-only" beside the built-in drums_only: both "(drums only)"; tempos 0.833x and 0.8334x: both
// "(83.3% tempo)"). Real `imk run` worker.
let root: string;

beforeAll(async () => {
  root = await makeRoot({
    pollMs: 100,
    variants: ['instrumental'],
    output: { format: 'flac' },
    recipes: { 'drums-only': { stems: ['drums', 'bass'] } },
  });
  await makeSong(join(root, 'song.m4a'), 2, 3);
}, 120_000);
afterAll(() => removeRoot(root));

describe('the file names of one job', () => {
  it.each([
    ['drums', ['drums_only', 'drums-only'], 'A - Song (drums only).flac'],
    ['tempo', ['instrumental@0.833x', 'instrumental@0.8334x'], 'A - Song (83.3% tempo).flac'],
  ])(
    '%s: two variants with one file name fail the job at once, naming both; nothing is published',
    async (id, variants, file) => {
      await publishV1(
        root,
        'other',
        {
          job_id: id,
          source_type: 'local',
          artist: 'A',
          title: 'Song',
          audio_path: 'song.m4a',
          options: { variants, duplicates: 'process' },
        },
        { 'song.m4a': join(root, 'song.m4a') },
      );
      const result = await imk(['run', '--once', '--root', root]);
      expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ failed: 1 });
      const detail = await jobDetail(root, id);
      expect(detail.errors[0]).toMatchObject({ retryable: false });
      expect(detail.errors[0]!.message).toContain(file);
      for (const variant of variants) expect(detail.errors[0]!.message).toContain(variant);
      expect(await readdir(join(root, 'outputs')).catch(() => [])).not.toContain(id);
    },
    120_000,
  );

  it('distinct file names are all published', async () => {
    await publishV1(
      root,
      'other',
      {
        job_id: 'fine',
        source_type: 'local',
        artist: 'A',
        title: 'Song',
        audio_path: 'song.m4a',
        options: {
          variants: ['drums_only', 'instrumental@0.8x', 'instrumental@0.9x'],
          duplicates: 'process',
        },
      },
      { 'song.m4a': join(root, 'song.m4a') },
    );
    const result = await imk(['run', '--once', '--root', root]);
    expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ succeeded: 1 });
    const paths = (await readManifest(root, 'fine')).artifacts.map((a) => a.path);
    expect(new Set(paths).size).toBe(paths.length);
  }, 120_000);
});
