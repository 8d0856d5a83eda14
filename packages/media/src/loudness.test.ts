import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImkError } from '@imk/errors';
import { measureLoudness, parseEbur128Summary } from './loudness.ts';
import { encodeAudio } from './encode.ts';
import { ffmpeg, makeTempDir, sineFile } from '../test/helpers.ts';

let dir = '';
let cleanup: () => Promise<void> = async () => {};
let tone = '';
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  tone = path.join(dir, 'minus20.wav');
  // 1 kHz at -20 dBFS peak in both channels: EBU R128 gives -20 LUFS (K-weighting is ~+0.7 dB at 1 kHz,
  // which the -0.691 constant cancels) and a true peak of -20 dBTP.
  await sineFile(tone, { seconds: 5, frequency: 1000, amplitude: 0.1, codec: ['-c:a', 'pcm_f32le'] });
});
afterAll(() => cleanup());

describe('loudness', () => {
  it('measures a -20 dBFS sine at about -20 LUFS and -20 dBTP', async () => {
    const m = await measureLoudness(tone);
    expect(m.integrated_lufs).toBeGreaterThan(-20.5);
    expect(m.integrated_lufs).toBeLessThan(-19.5);
    expect(m.true_peak_dbtp).toBeGreaterThan(-20.3);
    expect(m.true_peak_dbtp).toBeLessThan(-19.7);
  });

  // What plays: an MP3 at 8 kHz of 1 s has a 1.152 s ffprobe duration (its encoder delay and padding),
  // but decodes to 8000 frames.
  it('counts the frames a file decodes to, when asked, in the same run', async () => {
    const mp3 = path.join(dir, 'one-second.mp3');
    await encodeAudio({ input: tone, output: path.join(dir, 'one.wav'), format: 'wav', sampleRate: 8000 });
    await ffmpeg('-i', path.join(dir, 'one.wav'), '-t', '1', '-c:a', 'libmp3lame', mp3);
    expect(await measureLoudness(mp3, { countFrames: true })).toMatchObject({ frames: 8000 });
    expect((await measureLoudness(mp3)).frames).toBeUndefined();
  });

  it('reports null for digital silence', async () => {
    const silence = path.join(dir, 'silence.wav');
    await ffmpeg('-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=stereo', '-t', '2', silence);
    expect(await measureLoudness(silence)).toMatchObject({ integrated_lufs: null, true_peak_dbtp: null });
  });

  it('gives a true peak but no integrated loudness for audio shorter than one 400 ms block', async () => {
    const blip = path.join(dir, 'blip.wav');
    await sineFile(blip, { seconds: 0.2, frequency: 1000, amplitude: 0.1, codec: ['-c:a', 'pcm_f32le'] });
    const m = await measureLoudness(blip);
    expect(m.integrated_lufs).toBeNull();
    expect(m.true_peak_dbtp).toBeCloseTo(-20, 0);
  });

  it('names the file when it has no sound or ffmpeg prints no summary', async () => {
    const picture = path.join(dir, 'picture.mp4');
    await ffmpeg('-f', 'lavfi', '-i', 'color=c=red:s=32x32:d=1', '-c:v', 'mpeg4', picture);
    const error = await measureLoudness(picture).catch((e: unknown) => e);
    expect(isImkError(error, 'MEDIA_NO_AUDIO')).toBe(true);
    expect((error as Error).message).toContain(picture);
    expect(() => parseEbur128Summary('no summary here', 'x.wav')).toThrow(/x\.wav/);
  });

  it('normalises to a target in two passes', async () => {
    const output = path.join(dir, 'loud.flac');
    await encodeAudio({
      input: tone,
      output,
      format: 'flac',
      loudness: { targetLufs: -16, truePeak: -1, twoPass: true },
    });
    const m = await measureLoudness(output);
    expect(Math.abs((m.integrated_lufs ?? 0) + 16)).toBeLessThan(0.5);
    expect(m.true_peak_dbtp).toBeLessThan(-1 + 0.2);
  });

  // A brickwalled master, clipped noise, or a float mix past full scale measures above 0 LUFS, and
  // loudnorm refuses such a measured_I ("Numerical result out of range"): every two-pass encode of it failed.
  it('normalises audio louder than 0 LUFS in two passes', async () => {
    const float = path.join(dir, 'past-full-scale.wav');
    await sineFile(float, { seconds: 5, frequency: 1000, amplitude: 2, codec: ['-c:a', 'pcm_f32le'] });
    const clipped = path.join(dir, 'clipped-noise.wav');
    await ffmpeg('-f', 'lavfi', '-i', 'anoisesrc=d=5:a=1:seed=7', '-af', 'volume=10', '-ac', '2', clipped);
    for (const input of [float, clipped]) {
      expect((await measureLoudness(input)).integrated_lufs).toBeGreaterThan(0);
      const output = path.join(dir, `${path.basename(input, '.wav')}.flac`);
      await encodeAudio({
        input,
        output,
        format: 'flac',
        loudness: { targetLufs: -14, truePeak: -1, twoPass: true },
      });
      const m = await measureLoudness(output);
      expect(Math.abs((m.integrated_lufs ?? 0) + 14)).toBeLessThan(0.5);
      expect(m.true_peak_dbtp).toBeLessThan(-1 + 0.2);
    }
  });
});
