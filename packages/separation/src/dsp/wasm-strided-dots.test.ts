import { describe, expect, it } from 'vitest';
import { createStridedDots } from './wasm-strided-dots.ts';

describe('createStridedDots', () => {
  for (const simd of [true, false]) {
    it(`gives every step-th row's dot with the query, to the bit of a plain in-order sum (${simd ? 'WebAssembly SIMD' : 'JavaScript'})`, () => {
      let seed = 5;
      const rand = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
      for (const cols of [1, 3, 128]) {
        const rows = 203;
        const table = createStridedDots(rows, cols, 64, simd);
        // Features as the index holds them: non-negative, unit length, with some silent rows (all zeros).
        for (let e = 0; e < rows; e++) {
          if (e % 17 === 0) continue;
          const row = table.rows.subarray(e * cols, (e + 1) * cols);
          for (let k = 0; k < cols; k++) row[k] = rand() ** 3;
          const norm = Math.sqrt(row.reduce((s, v) => s + v * v, 0));
          for (let k = 0; k < cols; k++) row[k] = row[k]! / norm;
        }
        const query = Float32Array.from({ length: cols }, () => rand());
        // Odd and even counts, one row, the last rows of the table, and the most one call may ask for.
        for (const [first, step, count] of [
          [0, 1, 1],
          [0, 1, 64],
          [5, 3, 63],
          [2, 7, 28],
          [rows - 1, 1, 1],
          [rows - 3, 1, 3],
          [1, 50, 4],
        ] as const) {
          const out = new Float64Array(count + 4).fill(-1);
          table.dots(query, first, step, count, out, 2);
          const expected = Array.from({ length: count }, (_, i) => {
            let dot = 0;
            for (let k = 0; k < cols; k++) dot += query[k]! * table.rows[(first + i * step) * cols + k]!;
            return dot;
          });
          expect(Array.from(out), `${cols} columns, rows ${first} + i·${step}, ${count} of them`).toEqual([
            -1,
            -1,
            ...expected,
            -1,
            -1,
          ]);
        }
        expect(() => table.dots(query, 0, 1, 65, new Float64Array(65), 0)).toThrow(RangeError);
      }
    });
  }
});
