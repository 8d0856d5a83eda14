import { describe, expect, it } from 'vitest';
import { createSlidingMedianBank, slidingMedianFilter } from './sliding-median.ts';

function naiveMedianFilter(x: Float32Array, length: number): Float32Array {
  const half = length >> 1;
  return Float32Array.from(x, (_, i) => {
    const w: number[] = [];
    for (let j = i - half; j <= i + half; j++) w.push(x[Math.min(Math.max(j, 0), x.length - 1)]!);
    return w.sort((a, b) => a - b)[half]!;
  });
}

function randomValues(n: number, seed: number): Float32Array {
  let s = seed;
  // Few distinct values, so ties are frequent.
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) % 13) / 3);
}

describe('slidingMedianFilter', () => {
  it('equals a sorted-window median with repeated edges', () => {
    for (const length of [1, 3, 9, 17, 31]) {
      const x = randomValues(300, length);
      const out = new Float32Array(300);
      slidingMedianFilter(x, out, 300, length, new Float32Array(length));
      expect(out).toEqual(naiveMedianFilter(x, length));
    }
  });

  it('handles arrays shorter than the window', () => {
    const x = Float32Array.from([3, 1, 2]);
    const out = new Float32Array(3);
    slidingMedianFilter(x, out, 3, 9, new Float32Array(9));
    expect(out).toEqual(naiveMedianFilter(x, 9));
  });
});

describe('createSlidingMedianBank', () => {
  it('tracks the median of each window as values are replaced', () => {
    const length = 7;
    const bank = createSlidingMedianBank(2, length);
    const series = [randomValues(200, 5), randomValues(200, 9)];
    for (let b = 0; b < 2; b++) bank.fill(b, series[b]![0]!);
    const windows = series.map((s) => Array.from({ length }, () => s[0]!));
    for (let t = 1; t < 200; t++) {
      for (let b = 0; b < 2; b++) {
        const leaving = windows[b]!.shift()!;
        windows[b]!.push(series[b]![t]!);
        const median = bank.replace(b, leaving, series[b]![t]!);
        expect(median).toBe([...windows[b]!].sort((x, y) => x - y)[length >> 1]);
      }
    }
  });

  it('rejects even lengths', () => {
    expect(() => createSlidingMedianBank(1, 4)).toThrow(/odd/);
  });
});
