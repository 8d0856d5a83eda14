import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg, makeTempDir } from '../test/helpers.ts';
import { changeKeyTempo } from './key-tempo.ts';
import { readWavFile } from './wav-reader.ts';
import { createWavWriter } from './wav-writer.ts';

// Real ffmpeg with its rubberband filter. What a musician notices: a transposed or slowed song is exactly
// as long as the tempo says (N / tempo samples) and keeps its last notes, whatever the key, the tempo or
// the length of the input (a 10 ms sample included).
const RATE = 44100;
let dir = '';
let cleanup: () => Promise<void> = async () => {};
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterAll(() => cleanup());

/** A stereo float WAV of a 440 Hz tone (amplitude 0.4) that sounds up to its very last sample. */
async function toneFile(name: string, frames: number, amplitude = 0.4): Promise<string> {
  const file = path.join(dir, name);
  const writer = createWavWriter(file, { sampleRate: RATE, channels: 2 });
  const tone = Float32Array.from(
    { length: frames },
    (_, i) => amplitude * Math.sin((2 * Math.PI * 440 * i) / RATE),
  );
  await writer.write([tone, tone]);
  await writer.close();
  return file;
}

const rms = (samples: Float32Array): number =>
  Math.sqrt(samples.reduce((sum, x) => sum + x * x, 0) / Math.max(1, samples.length));

describe('changeKeyTempo (ffmpeg rubberband)', () => {
  const cases: [pitch: number, tempo: number][] = [
    [12, 0.5],
    [-12, 2],
    [12, 1],
    [7, 0.8],
    [0, 0.5],
    [-2, 1],
  ];

  it.each(cases)(
    'pitch %d, tempo %d: the output is N / tempo samples long and its last 50 ms still sound',
    async (pitch, tempo) => {
      const frames = 2 * RATE;
      const input = await toneFile(`tone-${pitch}-${tempo}.wav`, frames);
      const output = path.join(dir, `out-${pitch}-${tempo}.wav`);
      await changeKeyTempo({ input, output, pitch, tempo });
      const out = await readWavFile(output);
      expect(out.channels).toHaveLength(2);
      expect(out.sampleRate).toBe(RATE);
      expect(Math.abs(out.frames - Math.round(frames / tempo))).toBeLessThanOrEqual(1);
      // The tone (RMS 0.28) runs to the input's end, so the output's tail is not cut off: the last 50 ms
      // carry most of its level.
      const tail = out.channels[0]!.subarray(out.frames - Math.round(0.05 * RATE));
      expect(rms(tail)).toBeGreaterThan(0.1);
    },
  );

  it.each([
    ['a 10 ms sample', 441],
    ['a 1 ms click', 44],
  ])('%s is transposed and stretched too (ffmpeg alone fails on it)', async (_, frames) => {
    const input = await toneFile(`short-${frames}.wav`, frames);
    for (const [pitch, tempo] of [
      [12, 0.5],
      [-12, 2],
    ] as const) {
      const output = path.join(dir, `short-${frames}-${pitch}.wav`);
      await changeKeyTempo({ input, output, pitch, tempo });
      const out = await readWavFile(output);
      expect(Math.abs(out.frames - Math.round(frames / tempo))).toBeLessThanOrEqual(1);
    }
  });

  it('silence stays silence, at the right length', async () => {
    const input = await toneFile('silence.wav', 3 * RATE, 0);
    const output = path.join(dir, 'silence-out.wav');
    await changeKeyTempo({ input, output, pitch: 12, tempo: 0.5 });
    const out = await readWavFile(output);
    expect(out.frames).toBe(6 * RATE);
    expect(rms(out.channels[0]!)).toBe(0);
  });

  it('a compressed input (not a WAV) gets the same exact length', async () => {
    const wav = await toneFile('for-flac.wav', RATE);
    const flac = path.join(dir, 'tone.flac');
    await ffmpeg('-i', wav, '-c:a', 'flac', flac);
    const output = path.join(dir, 'flac-out.wav');
    await changeKeyTempo({ input: flac, output, pitch: 12, tempo: 0.5 });
    const out = await readWavFile(output);
    expect(Math.abs(out.frames - 2 * RATE)).toBeLessThanOrEqual(1);
  });
});
