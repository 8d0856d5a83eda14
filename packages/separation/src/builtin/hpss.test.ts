import { describe, expect, it } from 'vitest';
import { createHpssPass, softMask } from './hpss.ts';

describe('createHpssPass', () => {
  it('gives the same masks with median networks and with sliding windows, edges repeated', () => {
    const bins = 129;
    const frames = 40;
    let seed = 3;
    const rand = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const spectra = Array.from({ length: frames }, () =>
      Float32Array.from({ length: bins }, () => rand() ** 3),
    );
    const row = (i: number): Float32Array => spectra[Math.min(Math.max(i, 0), frames - 1)]!;
    const options = { bins, harmonicMedian: 9, percussiveMedian: 7, power: 2 };
    const network = createHpssPass({ ...options, method: 'network' });
    const sliding = createHpssPass({ ...options, method: 'sliding' });
    const a = new Float32Array(bins);
    const b = new Float32Array(bins);
    for (let c = 0; c < frames; c++) {
      network.run(c, row, a);
      sliding.run(c, row, b);
      expect(a).toEqual(b);
    }
    // Spot check against the definition for one bin.
    const c = 20;
    const k = 50;
    const h = [...Array(9).keys()].map((j) => row(c - 4 + j)[k]!).sort((x, y) => x - y)[4]!;
    const p = [...Array(7).keys()].map((j) => spectra[c]![k - 3 + j]!).sort((x, y) => x - y)[3]!;
    const fresh = createHpssPass({ ...options, method: 'network' });
    fresh.run(c, row, a);
    expect(a[k]).toBeCloseTo(softMask(h, p, 2), 6);
  });

  it('splits evenly where there is no energy', () => {
    expect(softMask(0, 0, 2)).toBe(0.5);
    expect(softMask(1, 0, 1)).toBe(1);
    expect(softMask(1, 1, 3)).toBe(0.5);
  });
});
