import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imk, makeRoot, publishV1, readManifest, removeRoot } from './helpers.ts';

// An MP3's ffprobe length counts its encoder delay and padding (LAME: 37 to 51 ms at 44.1 kHz, twice that
// at 22.05 kHz), which ffmpeg's decoder leaves out. The manifest gave that length as the input's, so a song
// of 2.013 s was "2.063673 s" and every file made of it, 2.013 s as it plays, was said to be short of it:
// "files/audio/A - Song.wav lasts 2.013 s but the input 2.063673 s". The input's length is now the one decoded.
let root: string;
const SONGS = { mp3_44k: { seconds: 2.013, rate: 44100 }, mp3_22k: { seconds: 2, rate: 22050 } };

beforeAll(async () => {
  root = await makeRoot({ pollMs: 100, variants: ['instrumental'], output: { format: 'wav' } });
  for (const [id, { seconds, rate }] of Object.entries(SONGS)) {
    const file = join(root, `${id}.mp3`);
    await execa('ffmpeg', [
      ...['-v', 'error', '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`],
      ...['-ac', '2', '-ar', String(rate), '-c:a', 'libmp3lame', '-b:a', '128k', file],
    ]);
    await publishV1(
      root,
      'other',
      { source_type: 'local', artist: 'A', job_id: id, title: 'Song', audio_path: 'song.mp3' },
      { 'song.mp3': file },
    );
  }
  const result = await imk(['run', '--once', '--root', root]);
  expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ succeeded: 2 });
}, 180_000);
afterAll(() => removeRoot(root));

describe('an MP3 input', () => {
  it.each(Object.entries(SONGS))(
    '%s: the manifest gives its length as it plays, and its files last as long, without a warning',
    async (id, { seconds }) => {
      const manifest = await readManifest(root, id);
      // (The 22.05 kHz one is said to be written at 44.1 kHz: a warning of its own, about the rate.)
      const lengths = (manifest.warnings ?? []).filter((w) => / lasts | decodes to /.test(w));
      expect(lengths, id).toEqual([]);
      expect(
        Math.abs(manifest.input.duration_sec - seconds),
        `${manifest.input.duration_sec} s`,
      ).toBeLessThan(0.005);
      for (const artifact of manifest.artifacts)
        expect(Math.abs(artifact.duration_sec - manifest.input.duration_sec), artifact.path).toBeLessThan(
          0.05,
        );
    },
  );
});
