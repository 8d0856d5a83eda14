import { describe, expect, it } from 'vitest';
import { createRowMedian } from './median-network.ts';
import { key16 } from './wasm-compare-exchange16.ts';

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

  it('coarseAbove: the median of more rows is that of the floats rounded to 16 bits, the same with and without SIMD', () => {
    const bins = 45;
    const simd = createRowMedian(100, bins, true, 60);
    const plain = createRowMedian(100, bins, false, 60);
    let seed = 5;
    const rand = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const bits = new Uint32Array(1);
    const asFloat = new Float32Array(bits.buffer);
    const rounded = (x: number): number => {
      asFloat[0] = x;
      bits[0] = key16(bits[0]!) << 16;
      return asFloat[0];
    };
    for (const n of [60, 61, 64, 99, 100]) {
      const rows = Array.from({ length: n }, () =>
        Float32Array.from({ length: bins }, () => rand() ** 3 * 50),
      );
      const a = new Float32Array(bins).fill(-1);
      const b = new Float32Array(bins).fill(-1);
      simd.median(rows, 3, 41, a);
      plain.median(rows, 3, 41, b);
      expect(a).toEqual(b);
      for (let k = 0; k < bins; k++) {
        const v = rows.map((r) => r[k]!).sort((x, y) => x - y);
        const exact = n % 2 === 1 ? v[n >> 1]! : (v[(n >> 1) - 1]! + v[n >> 1]!) / 2;
        if (k < 3 || k >= 41) expect(a[k]).toBe(-1);
        else if (n <= 60) expect(a[k]).toBe(Math.fround(exact));
        else {
          const coarse =
            n % 2 === 1 ? rounded(v[n >> 1]!) : (rounded(v[(n >> 1) - 1]!) + rounded(v[n >> 1]!)) / 2;
          expect(a[k]).toBe(Math.fround(coarse));
          expect(Math.abs(a[k]! - exact)).toBeLessThanOrEqual(exact * 2 ** -8);
        }
      }
    }
  });
});
