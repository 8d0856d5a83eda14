import { describe, expect, it } from 'vitest';
import { createRepetFit } from './repet-fit.ts';
import { createTinyMix, stemDigest } from './tiny-mix.ts';
import { EARLIER_FUSION_WEIGHTS } from './vocal-fusion.ts';

const BINS = 257;
const BIN_HZ = 44100 / 512;

function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

/** Per-bin median of rows (the mean of the middle two when even), as REPET-SIM's background. */
function median(rows: Float32Array[]): Float32Array {
  return Float32Array.from({ length: BINS }, (_, k) => {
    const v = rows.map((r) => r[k]!).sort((a, b) => a - b);
    const h = v.length >> 1;
    return v.length % 2 === 1 ? v[h]! : (v[h - 1]! + v[h]!) / 2;
  });
}

describe('the fitted background (repetFit)', () => {
  it('rebuilds a frame whose chord recurs only in parts, which the median cannot', () => {
    // Two chords in disjoint bins; the candidates hold one or the other, the frame both.
    const rand = random(5);
    const chordA = new Float32Array(BINS);
    const chordB = new Float32Array(BINS);
    for (let k = 10; k < 250; k += 7) chordA[k] = 0.5 + rand();
    for (let k = 13; k < 250; k += 7) chordB[k] = 0.5 + rand();
    const frame = chordA.map((v, k) => v + chordB[k]!);
    const candidates = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? chordA : chordB).slice());
    const fit = createRepetFit({
      bins: BINS,
      binHz: BIN_HZ,
      maxCandidates: 10,
      blend: 1,
      cap: 2,
      foreground: 2,
      sweeps: 8,
    });
    const out = median(candidates);
    const error = (bg: Float32Array): number => bg.reduce((s, v, k) => s + Math.abs(frame[k]! - v), 0);
    const medianError = error(out);
    fit.apply(frame, candidates, candidates.length, 1, BINS, out);
    expect(error(out), `fit ${error(out)} vs median ${medianError}`).toBeLessThan(medianError * 0.1);
  });

  it('is never above the frame (blend 1), never negative, and between the median and the fit otherwise', () => {
    for (const seed of [1, 2, 3, 4]) {
      const rand = random(seed);
      const candidates = Array.from({ length: 12 }, () =>
        Float32Array.from({ length: BINS }, () => rand() ** 3),
      );
      // The frame: a candidate-like spectrum with a loud "voice" on a few bins.
      const frame = Float32Array.from({ length: BINS }, (_, k) => rand() ** 3 + (k % 31 === 0 ? 4 : 0));
      const base = median(candidates);
      for (const blend of [1, 0.5]) {
        const out = base.slice();
        createRepetFit({
          bins: BINS,
          binHz: BIN_HZ,
          maxCandidates: 12,
          blend,
          cap: 2,
          foreground: 2,
          sweeps: 8,
        }).apply(frame, candidates, candidates.length, 3, BINS, out);
        for (let k = 3; k < BINS; k++) {
          // out = (1 − blend)·median + blend·f with 0 ≤ f ≤ frame.
          const f = (out[k]! - (1 - blend) * base[k]!) / blend;
          expect(f).toBeGreaterThanOrEqual(-1e-6);
          expect(f).toBeLessThanOrEqual(frame[k]! + 1e-6);
        }
        // Bins outside [binLo, binHi) are left alone.
        expect(Array.from(out.subarray(0, 3))).toEqual(Array.from(base.subarray(0, 3)));
      }
    }
  });

  it('leaves the separator unchanged when off, and changes it when on', () => {
    // 12 s: long enough that the REPET-SIM spacing is not shrunk (12 / repetMinChoices > 0.75 s).
    const mix = createTinyMix({ seconds: 12, seed: 1 });
    // The stems of 1.8.0 (before the fit existed, with its fusion weights) for this mix.
    const before = '2b6aa29313b5d91f6a667221f2426f11ff584006fdf0f5770c5b9b45c560f4c8';
    const earlier = { fusionWeights: EARLIER_FUSION_WEIGHTS };
    expect(stemDigest(mix, { repetFit: 0 }, earlier)).toBe(before);
    expect(stemDigest(mix, { repetFit: 0.5 }, earlier)).not.toBe(before);
  });

  it('is not used on a song so short that the spacing shrinks (its candidates share the voice note)', () => {
    // 6 s: 6 / repetMinChoices (14) < 0.75 s.
    const mix = createTinyMix({ seconds: 6, seed: 1 });
    expect(stemDigest(mix, { repetFit: 0.5 })).toBe(stemDigest(mix, { repetFit: 0 }));
    // The stems of 1.8.0 for this mix: since 1.10.0 a short song has fusion weights of its own
    // (SHORT_SONG_FUSION_WEIGHTS); with 1.8.0's, it is separated as 1.8.0 separated it, to the bit.
    const before = 'd0d624bb5d82cb3259d56d8381df1b86ba07e7fcf5e6d7824ed59af2e86b3712';
    expect(stemDigest(mix, { repetFit: 0.5 }, { fusionWeights: EARLIER_FUSION_WEIGHTS })).toBe(before);
    expect(stemDigest(mix, { repetFit: 0.5 })).not.toBe(before);
    // With the spacing kept whatever the length (repetMinChoices 0), the fit applies again.
    expect(stemDigest(mix, { repetFit: 0.5, repetMinChoices: 0 })).not.toBe(
      stemDigest(mix, { repetFit: 0, repetMinChoices: 0 }),
    );
  });
});
