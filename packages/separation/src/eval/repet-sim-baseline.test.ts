import { describe, expect, it } from 'vitest';
import { createFrameDots, DOT_BLOCK } from '../dsp/wasm-dot-rows.ts';
import { REPET_SIM_DEFAULTS, similarFrames } from './repet-sim-baseline.ts';

/** The picks computed the plain way, one row of the cosine-similarity matrix at a time (as nussl does). */
function plainPicks(mean: Float32Array, frames: number, bins: number, framesPerSec: number): number[][] {
  const { maxRepeatingFrames, minDistanceSec } = REPET_SIM_DEFAULTS;
  const norm = (f: number) => {
    let s = 0;
    for (let k = 0; k < bins; k++) s += mean[f * bins + k]! ** 2;
    return s > 0 ? 1 / Math.sqrt(s) : 0;
  };
  const picks: number[][] = [];
  for (let i = 0; i < frames; i++) {
    if (norm(i) === 0) {
      picks.push([]);
      continue;
    }
    const row: number[] = [];
    for (let j = 0; j < frames; j++) {
      let dot = 0;
      for (let k = 0; k < bins; k++) dot += mean[i * bins + k]! * mean[j * bins + k]!;
      row.push(dot * norm(i) * norm(j));
    }
    const lo = Math.min(...row);
    const span = Math.max(...row) - lo;
    const scaled = row.map((v) => (span > 0 ? (v - lo) / span : 0));
    const found: number[] = [];
    for (let n = 0; n < maxRepeatingFrames; n++) {
      const best = scaled.indexOf(Math.max(...scaled));
      found.push(best);
      const from = Math.max(0, Math.trunc(best - minDistanceSec * framesPerSec));
      scaled.fill(0, from, Math.min(frames, Math.trunc(best + minDistanceSec * framesPerSec + 1)));
      if (scaled.every((v) => v === 0)) break;
    }
    picks.push(found.slice(1));
  }
  return picks;
}

describe('REPET-SIM baseline: similar frames', () => {
  it('picks exactly what the plain row-by-row computation picks, for every frame up to the last', () => {
    let state = 7;
    const rand = () => (state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const bins = 33;
    // 10 frames a second, so each pick excludes 21 neighbours; frame counts that leave 0 to 3 rows over,
    // and songs of several 64-frame blocks of the peak search.
    for (const frames of [60, 61, 62, 63, 1, 200, 333]) {
      const mean = new Float32Array(frames * bins).map(() => rand());
      // A silent frame (no picks) and a repeating pattern, so that picks are not just noise.
      if (frames > 40) {
        mean.fill(0, 5 * bins, 6 * bins);
        for (let k = 0; k < bins; k++) mean[40 * bins + k] = mean[10 * bins + k]!;
      }
      const expected = plainPicks(mean, frames, bins, 10);
      // The WebAssembly dot products (the default) and the plain JavaScript loop (null).
      expect(similarFrames(mean, frames, bins, 10), `${frames} frames`).toEqual(expected);
      expect(similarFrames(mean, frames, bins, 10, null), `${frames} frames, JavaScript`).toEqual(expected);
    }
  });
});

describe('REPET-SIM baseline: the WebAssembly dot products', () => {
  it("are the plain loop's float64 sums to the bit, 16 frames at a time and past the last frame", () => {
    let state = 3;
    const rand = () => (state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (const [frames, bins] of [
      [40, 1025],
      [17, 5],
      [3, 1],
    ] as const) {
      const dots = createFrameDots(frames, bins);
      expect(dots, 'this Node has WebAssembly SIMD').toBeDefined();
      dots!.features.set(Float32Array.from({ length: frames * bins }, () => rand() * 1e3));
      const rows = Array.from({ length: DOT_BLOCK }, () => new Float64Array(frames));
      for (let first = 0; first < frames; first += DOT_BLOCK) {
        dots!.block(first, rows);
        for (let r = 0; r < DOT_BLOCK; r++) {
          const a = Math.min(first + r, frames - 1);
          const expected = new Float64Array(frames);
          for (let j = 0; j < frames; j++) {
            let d = 0;
            for (let k = 0; k < bins; k++) d += dots!.features[a * bins + k]! * dots!.features[j * bins + k]!;
            expected[j] = d;
          }
          expect(rows[r], `${frames} × ${bins}, frame ${first + r}`).toEqual(expected);
        }
      }
    }
  });
});
