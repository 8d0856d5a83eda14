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
});
