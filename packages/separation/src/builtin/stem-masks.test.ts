import { describe, expect, it } from 'vitest';
import { resolveBuiltinParams } from './params.ts';
import { computeStemMasks, type FrameCues, type StemMasks } from './stem-masks.ts';

const BINS = 32;

function run(vocalMaskSmoothBins: number, magnitudes: Float32Array, band: Float32Array): StemMasks {
  const params = resolveBuiltinParams({ vocalMaskSmoothBins, vocalMaskPower: 1, vocalRepetExponent: 1 });
  const cues: FrameCues = {
    magnitudes,
    harmonic: new Float32Array(BINS).fill(0.5),
    background: new Float32Array(BINS), // nothing repeats: every bin is all foreground
    centre: undefined,
    secondHarmonic: undefined,
  };
  const out: StemMasks = {
    vocals: new Float32Array(BINS),
    drums: new Float32Array(BINS),
    bass: new Float32Array(BINS),
  };
  const shape = { vocalBand: band, bassBand: new Float32Array(BINS).fill(1) };
  computeStemMasks(cues, shape, params, out, BINS, new Float32Array(BINS));
  return out;
}

describe('vocal mask smoothing across bins', () => {
  // Vocal band: bins 8..23. Only bin 15 and the band's first bin (8) have any energy.
  const band = new Float32Array(BINS).map((_, k) => (k >= 8 && k < 24 ? 1 : 0));
  const magnitudes = new Float32Array(BINS);
  magnitudes[15] = 1;
  magnitudes[8] = 1;
  magnitudes[3] = 1; // outside the band: never vocal

  it('spreads a lone vocal bin over its neighbours inside the band, never outside it', () => {
    const plain = run(0, magnitudes, band);
    expect(plain.vocals[15]).toBe(1);
    expect(plain.vocals[14]).toBe(0);
    const smooth = run(1, magnitudes, band);
    expect(smooth.vocals[14]).toBeCloseTo(1 / 3, 6);
    expect(smooth.vocals[15]).toBeCloseTo(1 / 3, 6);
    expect(smooth.vocals[16]).toBeCloseTo(1 / 3, 6);
    expect(smooth.vocals[17]).toBe(0);
    // At the band's edge the average is over the bins inside it (8 and 9), and bin 7 stays 0.
    expect(smooth.vocals[8]).toBeCloseTo(1 / 2, 6);
    expect(smooth.vocals[9]).toBeCloseTo(1 / 3, 6);
    expect(smooth.vocals[7]).toBe(0);
    expect(smooth.vocals[3]).toBe(0);
  });

  it('keeps the masks a partition: vocals + drums + bass never exceed 1, and drums/bass see the smoothed vocals', () => {
    const smooth = run(2, magnitudes, band);
    for (let k = 0; k < BINS; k++) {
      const v = smooth.vocals[k]!;
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v + smooth.drums[k]! + smooth.bass[k]!).toBeLessThanOrEqual(1 + 1e-6);
      expect(smooth.drums[k]).toBeCloseTo((1 - v) * 0.5, 6);
    }
  });

  it('refuses a width that is not a whole number of bins', () => {
    expect(() => resolveBuiltinParams({ vocalMaskSmoothBins: 1.5 })).toThrow(/vocalMaskSmoothBins/);
  });
});
