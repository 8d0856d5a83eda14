import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImkError } from '@imk/errors';
import { encodeAudio } from './encode.ts';
import type { AudioFormat } from './encode.ts';
import { measureLoudness } from './loudness.ts';
import { probeMedia } from './probe.ts';
import { readWavHeader } from './wav-header.ts';
import { makeTempDir, pngFile, sineFile, ffmpeg } from '../test/helpers.ts';

let dir = '';
let cleanup: () => Promise<void> = async () => {};
let input = '';
let cover = '';
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  input = path.join(dir, 'song.wav');
  await sineFile(input, { seconds: 2, codec: ['-c:a', 'pcm_f32le'] });
  cover = path.join(dir, 'cover.png');
  await pngFile(cover, '100x100', 'blue');
});
afterAll(() => cleanup());

const tags = {
  artist: 'Ünïcode Artist',
  album: 'The Album',
  title: 'Song (Instrumental)',
  comment: 'made by imk',
};

describe('encodeAudio', () => {
  it.each<[AudioFormat, string, boolean]>([
    ['m4a', 'aac', true],
    ['mp3', 'mp3', true],
    ['flac', 'flac', true],
    ['wav', 'pcm_s24le', false],
  ])('writes %s with tags%s', async (format, codec, hasCover) => {
    const output = path.join(dir, `out.${format}`);
    await encodeAudio({ input, output, format, tags, cover });
    const info = await probeMedia(output);
    expect(info.audio).toMatchObject({ codec, sample_rate: 44100, channels: 2 });
    expect(info.duration_sec).toBeGreaterThan(1.95);
    expect(info.duration_sec).toBeLessThan(2.1);
    expect(info.tags).toMatchObject(tags);
    expect(info.has_cover).toBe(hasCover);
    if (hasCover) expect(info.streams.find((s) => s.is_cover)).toMatchObject({ width: 100, height: 100 });
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('honours bit depth, sample rate and bitrate', async () => {
    const flac16 = path.join(dir, 'sixteen.flac');
    await encodeAudio({ input, output: flac16, format: 'flac', bitDepth: 16, sampleRate: 48000 });
    const flac = await probeMedia(flac16);
    expect(flac.audio?.sample_rate).toBe(48000);
    const floatWav = path.join(dir, 'float.wav');
    await encodeAudio({ input, output: floatWav, format: 'wav', bitDepth: 32 });
    expect(await readWavHeader(floatWav)).toMatchObject({
      encoding: 'float',
      bitsPerSample: 32,
      frames: 88200,
    });
    const low = path.join(dir, 'low.mp3');
    await encodeAudio({ input, output: low, format: 'mp3', bitrate: '96k' });
    expect((await probeMedia(low)).audio?.bit_rate).toBe(96000);
  });

  it('measures the loudness of what it encodes in the same ffmpeg run', async () => {
    // Lossless: the very samples written, dithered 16-bit included, so the file measures the same.
    for (const [format, bitDepth] of [
      ['flac', 16],
      ['wav', 24],
    ] as const) {
      const output = path.join(dir, `measured-${bitDepth}.${format}`);
      const { loudness } = await encodeAudio({
        input,
        output,
        format,
        bitDepth,
        cover,
        measureLoudness: true,
      });
      expect(loudness).toEqual(await measureLoudness(output));
      expect(loudness?.integrated_lufs).toBeLessThan(-5);
      expect((await probeMedia(output)).has_cover).toBe(format === 'flac');
    }
    // Lossy: the encoder's input, which is the source here (no normalisation).
    const m4a = await encodeAudio({
      input,
      output: path.join(dir, 'measured.m4a'),
      format: 'm4a',
      measureLoudness: true,
    });
    expect(m4a.loudness?.integrated_lufs).toBe((await measureLoudness(input)).integrated_lufs);
    expect(await encodeAudio({ input, output: path.join(dir, 'unmeasured.m4a'), format: 'm4a' })).toEqual({});
  });

  it('converts a webp cover (a YouTube thumbnail) to an embeddable picture', async () => {
    const webp = path.join(dir, 'thumb.webp');
    await ffmpeg('-f', 'lavfi', '-i', 'color=c=green:s=48x32:d=1', '-frames:v', '1', '-c:v', 'libwebp', webp);
    const output = path.join(dir, 'webp-cover.m4a');
    await encodeAudio({ input, output, format: 'm4a', cover: webp });
    expect((await probeMedia(output)).streams.find((s) => s.is_cover)).toMatchObject({
      codec: 'png',
      width: 48,
    });
  });

  it('leaves an existing output untouched and no temp file when ffmpeg fails', async () => {
    const output = path.join(dir, 'keep.mp3');
    await writeFile(output, 'previous good file');
    const error = await encodeAudio({ input, output, format: 'mp3', bitrate: 'not-a-bitrate' }).catch(
      (e: unknown) => e,
    );
    expect(isImkError(error, 'FFMPEG_FAILED')).toBe(true);
    expect((error as Error).message).toContain(output);
    expect(await readFile(output, 'utf8')).toBe('previous good file');
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('rejects an unreadable cover naming it', async () => {
    const bad = path.join(dir, 'cover.txt.png');
    await writeFile(bad, 'not an image');
    const error = await encodeAudio({
      input,
      output: path.join(dir, 'x.m4a'),
      format: 'm4a',
      cover: bad,
    }).catch((e: unknown) => e);
    expect(isImkError(error, 'COVER_UNREADABLE')).toBe(true);
    expect((error as Error).message).toContain(bad);
  });
});
