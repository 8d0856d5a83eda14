import { describe, expect, it } from 'vitest';
import { sdr } from './sdr.ts';

const f = (values: number[]): Float32Array => Float32Array.from(values);

describe('sdr', () => {
  // "Sample rate" 4: one-second windows of 4 samples.
  it('is the median over windows of 10·log10(Σs² / Σ(s−ŝ)²) over both channels, skipping silent references', () => {
    const reference = [f([1, 1, 1, 1, 0, 0, 0, 0, 1, 2, 3, 4]), f([1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0])];
    const estimate = [f([1, 1, 1, 0, 1, 1, 1, 1, 1, 2, 3, 3]), f([1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0])];
    // Window 1: 8 / 1; window 2: silent reference, skipped; window 3: 30 / 1.
    const expected = (10 * Math.log10(8) + 10 * Math.log10(30)) / 2;
    expect(sdr(reference, estimate, 4)).toBeCloseTo(expected, 10);
  });

  it('skips windows where the estimate is silent and ignores a trailing partial window', () => {
    const reference = [f([1, 2, 2, 1, 3, 3, 3, 3, 5, 5])];
    const estimate = [f([1, 2, 2, 0, 0, 0, 0, 0, 9, 9])];
    // Only window 1 counts: Σs² = 10, Σ(s−ŝ)² = 1.
    expect(sdr(reference, estimate, 4)).toBeCloseTo(10, 10);
  });

  it('takes the middle value for an odd number of windows', () => {
    const reference = [f([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1])];
    // Σs² = 4 per window; errors 0.5²·4 = 1, 0.1²·4 = 0.04, 1+1+1+1 = 4 → 6.02, 20 and 0 dB.
    const estimate = [f([0.5, 0.5, 0.5, 0.5, 0.9, 0.9, 0.9, 0.9, 0, 0, 0, 2])];
    expect(sdr(reference, estimate, 4)).toBeCloseTo(10 * Math.log10(4), 6);
  });

  it('is +Infinity for a perfect estimate, NaN when no window counts', () => {
    const x = [f([1, 2, 3, 4, 5, 6, 7, 8])];
    expect(sdr(x, x, 4)).toBe(Infinity);
    expect(sdr([f([1, 2, 3])], [f([1, 2, 3])], 4)).toBeNaN();
    expect(sdr([f([0, 0, 0, 0])], [f([1, 1, 1, 1])], 4)).toBeNaN();
  });

  it('scores the mixture-as-estimate floor as the stem-to-rest ratio', () => {
    const sr = 1000;
    const stem = f(Array.from({ length: 3000 }, (_, i) => Math.sin(i * 0.1)));
    const rest = f(Array.from({ length: 3000 }, (_, i) => 0.5 * Math.sin(i * 0.37)));
    const mixture = f(Array.from(stem, (v, i) => v + rest[i]!));
    let s2 = 0;
    let r2 = 0;
    for (let i = 0; i < 1000; i++) {
      s2 += stem[i]! ** 2;
      r2 += rest[i]! ** 2;
    }
    expect(sdr([stem], [mixture], sr)).toBeCloseTo(10 * Math.log10(s2 / r2), 1);
  });
});
