import { describe, expect, it } from 'vitest';
import { createSpatialWiener } from './spatial-wiener.ts';

const BINS = 65;
const N = 2 * (BINS - 1);
const OPTIONS = { bins: BINS, frameRate: 43, seconds: 10, power: 1, priorFrames: 43 };

/** Deterministic pseudo-random numbers in [−1, 1). */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

/** Packed spectrum (see dsp/fft.ts) with random complex values in bins 1..BINS−2 and 0 at DC and Nyquist. */
function spectrum(rand: () => number, scale = 1): Float32Array {
  const x = new Float32Array(N);
  for (let k = 1; k < BINS - 1; k++) {
    x[2 * k] = scale * rand();
    x[2 * k + 1] = scale * rand();
  }
  return x;
}

const power = (x: Float32Array, k: number): number => x[2 * k]! ** 2 + x[2 * k + 1]! ** 2;

/** A filter, a seeded noise source, a mask and the two output spectra. */
function setup(seed: number) {
  return {
    wiener: createSpatialWiener(OPTIONS),
    rand: noise(seed),
    mask: new Float32Array(BINS),
    left: new Float32Array(N),
    right: new Float32Array(N),
  };
}

describe('spatial Wiener post-filter', () => {
  it('is the plain mask when both channels are the same (nothing to tell the sources apart)', () => {
    const { wiener, rand, mask, left, right } = setup(1);
    for (let frame = 0; frame < 200; frame++) {
      const x = spectrum(rand);
      for (let k = 0; k < BINS; k++) mask[k] = 0.5 + 0.5 * rand();
      wiener.apply(x, x, mask, 0, BINS, left, right);
      for (let k = 1; k < BINS - 1; k++) {
        expect(left[2 * k]).toBe(right[2 * k]);
        expect(left[2 * k]!).toBeCloseTo(mask[k]! * x[2 * k]!, 2);
        expect(left[2 * k + 1]!).toBeCloseTo(mask[k]! * x[2 * k + 1]!, 2);
      }
    }
  });

  it('removes an accompaniment panned away from a centred voice better than the mask does', () => {
    const { wiener, rand, mask, left, right } = setup(2);
    let maskError = 0;
    let wienerError = 0;
    for (let frame = 0; frame < 400; frame++) {
      const voice = spectrum(rand);
      const guitar = spectrum(rand, 0.7); // hard left
      const mixLeft = voice.map((v, i) => v + guitar[i]!);
      for (let k = 1; k < BINS - 1; k++) {
        const v = power(voice, k);
        mask[k] = v / (v + power(guitar, k));
      }
      wiener.apply(mixLeft, voice, mask, 1, BINS - 1, left, right);
      if (frame < 100) continue; // the averages settle first
      for (let i = 2; i < N; i++) {
        maskError +=
          (mask[i >> 1]! * mixLeft[i]! - voice[i]!) ** 2 + (mask[i >> 1]! * voice[i]! - voice[i]!) ** 2;
        wienerError += (left[i]! - voice[i]!) ** 2 + (right[i]! - voice[i]!) ** 2;
      }
    }
    // At least 2 dB less error energy (the statistics come from the masked mixture, so some of the guitar
    // is in the voice's covariance).
    expect(wienerError).toBeLessThan(maskError / 1.6);
  });

  it('passes bins outside the band through the mask, and zero input stays zero', () => {
    const { wiener, rand, mask, left, right } = setup(3);
    mask.fill(0.25);
    const x = spectrum(rand);
    const y = spectrum(rand);
    wiener.apply(x, y, mask, 10, 20, left, right);
    expect(left[2 * 5]).toBeCloseTo(0.25 * x[2 * 5]!, 6);
    expect(right[2 * 30 + 1]).toBeCloseTo(0.25 * y[2 * 30 + 1]!, 6);
    const zero = new Float32Array(N);
    wiener.apply(zero, zero, mask, 0, BINS, left, right);
    expect(left.every((v) => v === 0) && right.every((v) => v === 0)).toBe(true);
  });
});
