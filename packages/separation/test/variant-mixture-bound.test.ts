import { mkdir, rename, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createWavWriter, readWavFile } from '@imk/media';
import { STEM_NAMES } from '@imk/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StemFiles } from '../src/engine.ts';
import { mixVariants } from '../src/variant-mix.ts';
import { ffmpeg, makeTempDir } from './audio-fixtures.ts';

// When a job's stems come from the cache, the worker mixes "mixture minus vocals" from the bundle's own
// file, read directly when it is a 44.1 kHz stereo WAV. That read followed links: a folder of the bundle
// swapped for a link after the claim's check had the file elsewhere mixed into the published variant.
// Given the bundle (`within`), the mixture must be inside it, whichever way it is read (WAV or ffmpeg).
let dir: string;
let cleanup: () => Promise<void>;
const stems = {} as StemFiles;

async function silence(file: string): Promise<void> {
  const writer = createWavWriter(file, { sampleRate: 44100, channels: 2 });
  await writer.write([new Float32Array(44100), new Float32Array(44100)]);
  await writer.close();
}

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  for (const stem of STEM_NAMES) {
    stems[stem] = join(dir, `${stem}.wav`);
    await silence(stems[stem]);
  }
  for (const folder of [join(dir, 'bundle', 'sub'), join(dir, 'elsewhere')])
    await mkdir(folder, { recursive: true });
  for (const [folder, freq] of [
    [join(dir, 'bundle', 'sub'), 440],
    [join(dir, 'elsewhere'), 1000],
  ] as const) {
    await ffmpeg(
      '-f',
      'lavfi',
      '-i',
      `sine=f=${freq}:d=1:r=44100`,
      '-ac',
      '2',
      '-c:a',
      'pcm_f32le',
      join(folder, 'song.wav'),
    );
    await ffmpeg('-f', 'lavfi', '-i', `sine=f=${freq}:d=1:r=48000`, '-ac', '2', join(folder, 'song.flac'));
  }
  await rename(join(dir, 'bundle', 'sub'), join(dir, 'checked-sub'));
  await symlink(join(dir, 'elsewhere'), join(dir, 'bundle', 'sub'));
});
afterAll(() => cleanup());

describe('mixVariants with the mixture in a folder of the bundle swapped for a link', () => {
  it.each(['song.wav', 'song.flac'])('refuses %s, naming it, and writes no variant', async (name) => {
    const outDir = join(dir, `out-${name}`);
    await mkdir(outDir);
    await expect(
      mixVariants({
        stems,
        mixture: join(dir, 'bundle', 'sub', name),
        recipes: { instrumental: { mixture_minus: ['vocals'] } },
        outDir,
        within: join(dir, 'bundle'),
      }),
    ).rejects.toThrow(new RegExp(`${name.replace('.', '\\.')}.*(moved out of|symbolic link)`));
  });

  it('mixes the mixture where it is inside the bundle', async () => {
    const outDir = join(dir, 'out-inside');
    await mkdir(outDir);
    const made = await mixVariants({
      stems,
      mixture: join(dir, 'checked-sub', 'song.wav'),
      recipes: { instrumental: { mixture_minus: ['vocals'] } },
      outDir,
      within: dir,
    });
    expect((await readWavFile(made.instrumental!)).frames).toBe(44100);
  });
});
