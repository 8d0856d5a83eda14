import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIO_FORMATS, LOSSY_SAMPLE_RATES, bitDepthProblem, sampleRateProblem } from '@imk/protocol';
import { encodeAudio } from './encode.ts';
import { probeMedia } from './probe.ts';
import { makeTempDir, sineFile } from '../test/helpers.ts';

// @imk/protocol says which sample rates and bit depths each output format takes, and the worker refuses a
// job asking for another before it separates anything. That table must be what the encoders really do:
// every combination it allows is written at that rate, every one it refuses is refused by ffmpeg too.
let dir = '';
let cleanup: () => Promise<void> = async () => {};
let input = '';
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  input = path.join(dir, 'in.wav');
  await sineFile(input, { seconds: 0.1, codec: ['-c:a', 'pcm_f32le'] });
});
afterAll(() => cleanup());

const RATES = [
  ...new Set([...LOSSY_SAMPLE_RATES.m4a, ...LOSSY_SAMPLE_RATES.mp3, 8000, 12345, 176400, 192000]),
];

describe('what each output format takes (protocol format-limits) is what its encoder does', () => {
  it.each(AUDIO_FORMATS)(
    '%s: every sample rate allowed is written at that rate, every other refused',
    async (format) => {
      const wrong: string[] = [];
      for (const sampleRate of RATES) {
        const output = path.join(dir, `${format}-${sampleRate}.${format}`);
        const allowed = sampleRateProblem(format, sampleRate) === undefined;
        const written = await encodeAudio({ input, output, format, sampleRate }).then(
          () => true,
          () => false,
        );
        if (written !== allowed) wrong.push(`${sampleRate} Hz: allowed ${allowed}, written ${written}`);
        else if (written) {
          const rate = (await probeMedia(output)).audio?.sample_rate;
          if (rate !== sampleRate) wrong.push(`${sampleRate} Hz: the file is ${rate} Hz`);
        }
      }
      expect(wrong).toEqual([]);
    },
  );

  it.each(['flac', 'wav'] as const)(
    '%s: every bit depth allowed is written, every other refused',
    async (format) => {
      for (const bitDepth of [16, 24, 32] as const) {
        const output = path.join(dir, `${format}-${bitDepth}.${format}`);
        const allowed = bitDepthProblem(format, bitDepth) === undefined;
        const written = await encodeAudio({ input, output, format, bitDepth }).then(
          () => true,
          () => false,
        );
        expect(written, `${format} ${bitDepth} bit`).toBe(allowed);
      }
    },
  );
});
