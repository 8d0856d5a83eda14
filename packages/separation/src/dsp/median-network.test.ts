import { describe, expect, it } from 'vitest';
import { createRowMedian } from './median-network.ts';

describe('createRowMedian', () => {
  for (const simd of [true, false]) {
    it(`gives each bin's median across rows (${simd ? 'WebAssembly SIMD' : 'JavaScript'})`, () => {
      const bins = 301;
      const median = createRowMedian(24, bins, simd);
      let seed = 7;
      const rand = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
      for (const n of [1, 2, 3, 4, 7, 12, 19, 20, 21, 24]) {
        const rows = Array.from({ length: n }, () =>
          Float32Array.from({ length: bins }, () => Math.round(rand() * 9) / 4),
        );
        const out = new Float32Array(bins).fill(-1);
        median.median(rows, 5, 290, out);
        for (let k = 0; k < bins; k++) {
          const v = rows.map((r) => r[k]!).sort((a, b) => a - b);
          const expected = n % 2 === 1 ? v[n >> 1]! : (v[(n >> 1) - 1]! + v[n >> 1]!) / 2;
          expect(out[k]).toBe(k >= 5 && k < 290 ? Math.fround(expected) : -1);
        }
      }
    });
  }

  for (const simd of [true, false]) {
    it(`middles: each bin's middle values, as a sort puts them, up to 100 rows (${simd ? 'WebAssembly SIMD' : 'JavaScript'})`, () => {
      const bins = 37;
      const median = createRowMedian(100, bins, simd);
      let seed = 11;
      const rand = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
      for (const n of [1, 2, 5, 64, 99, 100]) {
        const rows = Array.from({ length: n }, () =>
          Float32Array.from({ length: bins }, () => Math.round(rand() * 40) / 8),
        );
        rows.forEach((row, r) => median.row(r).set(row));
        const { lower, upper } = median.middles(n, 3, bins);
        for (let k = 3; k < bins; k++) {
          const v = rows.map((r) => r[k]!).sort((a, b) => a - b);
          expect([lower[k], upper[k]], `${n} rows, bin ${k}`).toEqual([v[(n - 1) >> 1], v[n >> 1]]);
        }
      }
      expect(() => median.middles(0, 0, bins)).toThrow(RangeError);
    });
  }
});
