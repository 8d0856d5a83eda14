import { mkdir, readdir, rename, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coverCodec } from './encode-args.ts';
import { encodeAudio } from './encode.ts';
import { measureSamplePeak } from './clip-guard.ts';
import { measureLoudness } from './loudness.ts';
import { probeMedia } from './probe.ts';
import { writeStemMp4, stemMp4Peak } from './stem-mp4/write-stem-mp4.ts';
import { replaceVideoAudio } from './video.ts';
import { readWav } from './wav-reader.ts';
import { readWavHeader } from './wav-header.ts';
import { ffmpeg, makeTempDir, pngFile, sineFile } from '../test/helpers.ts';

// Every reader of a bundle's files is given the bundle (`within`) and holds each input beneath it inside
// it, however deep in the call it is opened. Before, only probeMedia and decodeAudio took the bundle: the
// video of a video job (replaceVideoAudio), the cover embedded in every file (encodeAudio, writeStemMp4),
// the mixture of a .stem.mp4 (passed to ffmpeg by name, without even the protocol whitelist) and a WAV
// read directly (the mixture of a cached job's variants) followed a folder of the bundle swapped for a
// link after the claim's check, and read, embedded and published the file elsewhere.
//
// Each case: the file sits in the bundle at sub/<name>; then `sub` is swapped for a link to a folder
// elsewhere holding a file of the same name (as a producer still writing into a claimed bundle could).
let dir: string;
let cleanup: () => Promise<void>;
let bundle: string;
let elsewhere: string;
let work: string;

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  bundle = join(dir, 'bundle');
  elsewhere = join(dir, 'elsewhere');
  work = join(dir, 'work');
  for (const folder of [join(bundle, 'sub'), elsewhere, work]) await mkdir(folder, { recursive: true });
  for (const [folder, rate, colour] of [
    [join(bundle, 'sub'), 44100, 'red'],
    [elsewhere, 48000, 'green'],
  ] as const) {
    await sineFile(join(folder, 'song.wav'), { seconds: 1, rate });
    await pngFile(join(folder, 'cover.png'), '32x32', colour);
    await ffmpeg(
      '-f',
      'lavfi',
      '-i',
      `testsrc=s=64x48:d=1:r=10`,
      '-f',
      'lavfi',
      '-i',
      `sine=d=1:r=${rate}`,
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-c:a',
      'aac',
      join(folder, 'clip.mp4'),
    );
  }
  // The worker's own files: outside the bundle, read as they are.
  for (const stem of ['drums', 'bass', 'other', 'vocals'])
    await sineFile(join(work, `${stem}.wav`), { seconds: 1, amplitude: 0.1 });
  // Checked (as the claim does), then swapped.
  expect((await probeMedia(join(bundle, 'sub', 'song.wav'), { within: bundle })).audio?.sample_rate).toBe(
    44100,
  );
  await rename(join(bundle, 'sub'), join(dir, 'checked-sub'));
  await symlink(elsewhere, join(bundle, 'sub'));
});
afterAll(() => cleanup());

const inBundle = (name: string) => join(bundle, 'sub', name);
const out = (name: string) => join(work, name);
const stems = () => ({
  drums: join(work, 'drums.wav'),
  bass: join(work, 'bass.wav'),
  other: join(work, 'other.wav'),
  vocals: join(work, 'vocals.wav'),
});

const READERS: [string, () => Promise<unknown>, string][] = [
  [
    "a video job's video (replaceVideoAudio)",
    () =>
      replaceVideoAudio({
        video: inBundle('clip.mp4'),
        audio: join(work, 'drums.wav'),
        output: out('v.mp4'),
        within: bundle,
      }),
    'clip.mp4',
  ],
  [
    'the cover embedded by encodeAudio',
    () =>
      encodeAudio({
        input: join(work, 'drums.wav'),
        output: out('a.m4a'),
        format: 'm4a',
        cover: inBundle('cover.png'),
        within: bundle,
      }),
    'cover.png',
  ],
  [
    'the cover checked by coverCodec',
    () => coverCodec(inBundle('cover.png'), { within: bundle }),
    'cover.png',
  ],
  [
    'the mixture of a .stem.mp4 (writeStemMp4)',
    () =>
      writeStemMp4({
        output: out('s.stem.mp4'),
        streams: { mixture: inBundle('song.wav'), ...stems() },
        within: bundle,
      }),
    'song.wav',
  ],
  [
    'the cover of a .stem.mp4 (writeStemMp4)',
    () =>
      writeStemMp4({
        output: out('c.stem.mp4'),
        streams: { mixture: join(work, 'drums.wav'), ...stems() },
        cover: inBundle('cover.png'),
        within: bundle,
      }),
    'cover.png',
  ],
  [
    'the peak of a .stem.mp4 mixture (stemMp4Peak)',
    () => stemMp4Peak({ mixture: inBundle('song.wav'), ...stems() }, undefined, bundle),
    'song.wav',
  ],
  [
    'the input encoded by encodeAudio',
    () => encodeAudio({ input: inBundle('song.wav'), output: out('i.flac'), format: 'flac', within: bundle }),
    'song.wav',
  ],
  [
    'a peak measured (measureSamplePeak)',
    () => measureSamplePeak(inBundle('song.wav'), { within: bundle }),
    'song.wav',
  ],
  [
    'a loudness measured (measureLoudness)',
    () => measureLoudness(inBundle('song.wav'), { within: bundle }),
    'song.wav',
  ],
  [
    'a WAV header read directly (readWavHeader)',
    () => readWavHeader(inBundle('song.wav'), { within: bundle }),
    'song.wav',
  ],
  [
    'a WAV read directly (readWav)',
    async () => {
      for await (const block of readWav(inBundle('song.wav'), { within: bundle })) void block;
    },
    'song.wav',
  ],
];

describe('a folder of the bundle swapped for a link to files elsewhere, read by', () => {
  it.each(READERS)('%s: refused, naming the file, and nothing written', async (_, read, name) => {
    const before = await readdir(work);
    await expect(read()).rejects.toThrow(
      new RegExp(`${name.replace('.', '\\.')}.*(moved out of|symbolic link)`),
    );
    expect(await readdir(work)).toEqual(before);
  });
});

describe("the caller's own files in the same run", () => {
  it('are read as before: an encode of a work file with the bundle as bound, no cover', async () => {
    await encodeAudio({
      input: join(work, 'drums.wav'),
      output: out('own.flac'),
      format: 'flac',
      within: bundle,
    });
    expect((await probeMedia(out('own.flac'))).audio?.sample_rate).toBe(44100);
  });

  it('a file beneath the bundle is still read where the caller gives no bound (a file a user named)', async () => {
    expect((await readWavHeader(inBundle('song.wav'))).sampleRate).toBe(48000);
  });
});
