import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudio } from './decode.ts';
import { ffmpeg, makeTempDir } from '../test/helpers.ts';

// docs/instrumental-maker.md says what becomes of a film's 5.1 or 7.1 sound: each side gets its front
// channel, the centre at -3 dB in both sides, side and back channels at -3 dB on their own side, the LFE
// left out. A tone in one channel at a time shows where it lands.
let dir = '';
let cleanup: () => Promise<void> = async () => {};
beforeAll(async () => ({ dir, cleanup } = await makeTempDir()));
afterAll(() => cleanup());

const peakDb = (samples: Float32Array): number =>
  20 * Math.log10(samples.reduce((m, v) => Math.max(m, Math.abs(v)), 0));

describe('decodeAudio of more than two channels', () => {
  it.each([
    ['5.1', 'FL', [0, -Infinity]],
    ['5.1', 'FR', [-Infinity, 0]],
    ['5.1', 'FC', [-3, -3]],
    ['5.1', 'LFE', [-Infinity, -Infinity]],
    ['5.1', 'BL', [-3, -Infinity]],
    ['7.1', 'FC', [-3, -3]],
    ['7.1', 'LFE', [-Infinity, -Infinity]],
    ['7.1', 'SL', [-3, -Infinity]],
    ['7.1', 'BR', [-Infinity, -3]],
  ] as const)(
    '%s with sound in %s only: left and right as docs/instrumental-maker.md says',
    async (layout, channel, expected) => {
      const file = path.join(dir, `${layout}-${channel}.wav`);
      await ffmpeg(
        ...['-f', 'lavfi', '-i', 'aevalsrc=0.5*sin(2*PI*330*t):d=0.5', '-af'],
        ...[`pan=${layout}|${channel}=c0`, '-c:a', 'pcm_f32le', file],
      );
      const { channels } = await readAudio(file);
      const levels = channels.map((side) => peakDb(side) - 20 * Math.log10(0.5));
      expect(levels).toHaveLength(2);
      levels.forEach((got, side) => {
        const want = expected[side]!;
        if (want === -Infinity) expect(got).toBe(-Infinity);
        else expect(got).toBeCloseTo(want, 0);
      });
    },
  );
});
