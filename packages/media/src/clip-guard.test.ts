import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAudio, encoderInputPeak, type AudioFormat } from './encode.ts';
import { encodeGroupWithinCeiling, measureSamplePeak } from './clip-guard.ts';
import { replaceVideoAudio } from './video.ts';
import { ffmpeg, makeTempDir } from '../test/helpers.ts';

// A mix of stems (levels above 1, or stems that add up in phase) can peak above full scale in its float
// WAV. Written to a format that holds integers (or decoded by a player that does), every sample over it
// was cut flat: audible distortion on every loud beat. Real ffmpeg, real decode of the written file.
let dir = '';
let cleanup: () => Promise<void> = async () => {};
let loud = '';
let quiet = '';
const LOUD_PEAK_DB = 20 * Math.log10(1.8); // +5.1 dBFS

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  loud = path.join(dir, 'loud.wav');
  quiet = path.join(dir, 'quiet.wav');
  // Two tones and noise bursts, peaking at 1.8 (a float WAV holds it; no integer format does).
  const expr = '0.9*sin(2*PI*110*t)+0.5*sin(2*PI*277*t)+0.4*sin(2*PI*1500*t)*lt(mod(t\\,0.5)\\,0.05)';
  const raw = path.join(dir, 'raw.wav');
  await ffmpeg('-f', 'lavfi', '-i', `aevalsrc=${expr}|${expr}:s=44100:d=2`, '-c:a', 'pcm_f32le', raw);
  const peak = await measureSamplePeak(raw);
  await ffmpeg('-i', raw, '-af', `volume=${1.8 / peak}:precision=double`, '-c:a', 'pcm_f32le', loud);
  await ffmpeg('-i', loud, '-af', 'volume=0.4', '-c:a', 'pcm_f32le', quiet);
});
afterAll(() => cleanup());

/** Samples of the decoded file at the largest integer value (cut flat), as 16- or 32-bit integers. */
async function fullScaleSamples(file: string, bits: 16 | 32): Promise<number> {
  const { stdout } = await execa(
    'ffmpeg',
    ['-v', 'error', '-i', file, '-f', bits === 16 ? 's16le' : 's32le', '-ac', '2', '-'],
    { encoding: 'buffer' },
  );
  const buf = Buffer.from(stdout);
  let count = 0;
  if (bits === 16) {
    for (let i = 0; i + 1 < buf.length; i += 2) if (Math.abs(buf.readInt16LE(i)) >= 32767) count++;
  } else {
    // 24-bit samples land in the top bytes of s32: 0x7fffff00 and up is the 24-bit full scale.
    for (let i = 0; i + 3 < buf.length; i += 4) if (Math.abs(buf.readInt32LE(i)) >= 0x7fffff00) count++;
  }
  return count;
}

const db = (linear: number) => 20 * Math.log10(linear);

describe('encodeAudio avoidClipping', () => {
  it.each<[AudioFormat, 16 | 24, number]>([
    ['flac', 16, 44100],
    ['flac', 24, 44100],
    ['wav', 16, 44100],
    ['wav', 24, 44100],
    // Resampled: the peak is the one the encoder gets, after resampling.
    ['flac', 16, 48000],
  ])(
    'turns a mix that would clip in %s %i-bit at %i Hz down by one gain, just enough',
    async (format, bitDepth, sampleRate) => {
      const clipped = path.join(dir, `clipped-${bitDepth}-${sampleRate}.${format}`);
      const output = path.join(dir, `guarded-${bitDepth}-${sampleRate}.${format}`);
      const before = await encodeAudio({ input: loud, output: clipped, format, bitDepth, sampleRate });
      expect(before.clipGuard).toBeUndefined();
      // Without the guard: thousands of samples cut flat at full scale.
      expect(await fullScaleSamples(clipped, bitDepth === 16 ? 16 : 32)).toBeGreaterThan(1000);

      const { clipGuard } = await encodeAudio({
        input: loud,
        output,
        format,
        bitDepth,
        sampleRate,
        avoidClipping: true,
      });
      expect(clipGuard?.peakDbfs).toBeCloseTo(LOUD_PEAK_DB, 1);
      expect(clipGuard?.gainDb).toBeCloseTo(-LOUD_PEAK_DB, 1);
      expect(await fullScaleSamples(output, bitDepth === 16 ? 16 : 32)).toBe(0);
      // Just enough: the written file peaks within a few hundredths of a dB under full scale.
      const peak = db(await measureSamplePeak(output));
      expect(peak).toBeLessThanOrEqual(0);
      expect(peak).toBeGreaterThan(-0.05);
    },
  );

  it.each<AudioFormat>(['m4a', 'mp3'])('keeps a lossy %s file, decoded, under 0 dBFS', async (format) => {
    const output = path.join(dir, `guarded.${format}`);
    const { clipGuard } = await encodeAudio({ input: loud, output, format, avoidClipping: true });
    expect(clipGuard?.gainDb).toBeLessThan(-LOUD_PEAK_DB);
    expect(clipGuard!.gainDb).toBeGreaterThan(-LOUD_PEAK_DB - 1);
    const peak = db(await measureSamplePeak(output));
    expect(peak).toBeLessThanOrEqual(0);
    expect(peak).toBeGreaterThan(-1);
  });

  it('leaves 32-bit float WAV exact, and a mix that does not clip as it is', async () => {
    const float = path.join(dir, 'float.wav');
    expect(
      (await encodeAudio({ input: loud, output: float, format: 'wav', bitDepth: 32, avoidClipping: true }))
        .clipGuard,
    ).toBeUndefined();
    expect(db(await measureSamplePeak(float))).toBeCloseTo(LOUD_PEAK_DB, 3);
    const flac = path.join(dir, 'quiet.flac');
    expect(
      (await encodeAudio({ input: quiet, output: flac, format: 'flac', avoidClipping: true })).clipGuard,
    ).toBeUndefined();
    expect(db(await measureSamplePeak(flac))).toBeCloseTo(LOUD_PEAK_DB + db(0.4), 3);
  });

  it('turns the sound of a video down too', async () => {
    const video = path.join(dir, 'in.mp4');
    await ffmpeg(
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=64x48:rate=10:duration=2',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      video,
    );
    const output = path.join(dir, 'out.mp4');
    const { clipGuard } = await replaceVideoAudio({ video, audio: loud, output, avoidClipping: true });
    expect(clipGuard?.gainDb).toBeLessThan(-LOUD_PEAK_DB);
    expect(db(await measureSamplePeak(output))).toBeLessThanOrEqual(0);
  });
});

// Stems must still sum to the mixture: when one would clip, all are turned down by one gain.
describe('a set of files turned down alike (kept stems)', () => {
  async function writeSet(
    format: AudioFormat,
    bitDepth: 16 | 24 | 32 | undefined,
    name: string,
    inputs = [loud, quiet],
  ) {
    const outputs = inputs.map((_, i) => path.join(dir, `${name}-${i}.${format}`));
    const peaks = await Promise.all(inputs.map((input) => encoderInputPeak({ input })));
    const files = peaks.map((peak) => ({ peak, format, ...(bitDepth !== undefined && { bitDepth }) }));
    let rounds = 0;
    const guard = await encodeGroupWithinCeiling(files, async (gain) => {
      rounds++;
      await Promise.all(
        inputs.map((input, i) =>
          encodeAudio({
            input,
            output: outputs[i]!,
            format,
            ...(bitDepth !== undefined && { bitDepth }),
            ...(gain !== undefined && { gain }),
          }),
        ),
      );
      return outputs;
    });
    return { guard, outputs, rounds };
  }

  it('lossy (m4a): the quiet file is turned down as much as the loud one, and none decodes over 0 dBFS', async () => {
    const { guard, outputs } = await writeSet('m4a', undefined, 'set');
    expect(guard?.file).toBe(0);
    expect(guard?.gainDb).toBeLessThan(-LOUD_PEAK_DB);
    const [a, b] = await Promise.all(outputs.map((o) => measureSamplePeak(o)));
    expect(a).toBeLessThanOrEqual(1);
    // The quiet file did not need it, and got it: the two keep their levels (0.4) to each other.
    expect(db(b!)).toBeLessThan(LOUD_PEAK_DB + db(0.4) + guard!.gainDb + 0.5);
    expect(db(b!) - db(a!)).toBeCloseTo(db(0.4), 0);
  });

  it('lossy, where AAC overshoots (a square wave): all are written again with the extra gain', async () => {
    const square = path.join(dir, 'square.wav');
    const quietSquare = path.join(dir, 'square-quiet.wav');
    const expr = '1.5*(2*gt(mod(t*220\\,1)\\,0.5)-1)';
    await ffmpeg('-f', 'lavfi', '-i', `aevalsrc=${expr}|${expr}:s=44100:d=1`, '-c:a', 'pcm_f32le', square);
    await ffmpeg('-i', square, '-af', 'volume=0.5', '-c:a', 'pcm_f32le', quietSquare);
    const { guard, outputs, rounds } = await writeSet('m4a', undefined, 'sq', [square, quietSquare]);
    expect(rounds).toBeGreaterThan(1);
    const [a, b] = await Promise.all(outputs.map((o) => measureSamplePeak(o)));
    expect(a).toBeLessThanOrEqual(1);
    // The gain went further than the input's peak asked (1.5 to -0.1 dBFS), for both files alike.
    expect(guard!.gainDb).toBeLessThan(-db(1.5) - 0.1 - 0.05);
    expect(db(b!) - db(a!)).toBeCloseTo(db(0.5), 0);
  });

  it('16-bit flac: turned down just enough, not clipped', async () => {
    const { guard, outputs } = await writeSet('flac', 16, 'set16');
    expect(await fullScaleSamples(outputs[0]!, 16)).toBe(0);
    expect(db(await measureSamplePeak(outputs[0]!))).toBeGreaterThan(-0.05);
    expect(db(await measureSamplePeak(outputs[1]!))).toBeCloseTo(LOUD_PEAK_DB + db(0.4) + guard!.gainDb, 1);
  });

  it('float stems (32-bit wav) are left exact', async () => {
    const { guard, outputs } = await writeSet('wav', 32, 'setf');
    expect(guard).toBeUndefined();
    expect(db(await measureSamplePeak(outputs[0]!))).toBeCloseTo(LOUD_PEAK_DB, 3);
  });
});
