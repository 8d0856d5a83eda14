import { describe, expect, it } from 'vitest';
import { createRepetSim, sortSmallest } from './repet-sim.ts';

describe('createRepetSim', () => {
  it('models a repeating loop as background and leaves a one-off sound in the foreground', () => {
    const bins = 16;
    const frames = 80;
    let seed = 11;
    const rand = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    // A four-frame loop (think: one bar of accompaniment), plus a "voice" in frame 40 only.
    const loop = Array.from({ length: 4 }, () => Float32Array.from({ length: bins }, () => 0.1 + rand()));
    const spectra = Array.from({ length: frames }, (_, f) => loop[f % 4]!.slice());
    spectra[40]![5] = spectra[40]![5]! + 3;
    const repet = createRepetSim({
      bins,
      sampleRate: 16000,
      fftSize: 2 * (bins - 1),
      window: 20,
      neighbours: 5,
      spacing: 2,
      minSimilarity: 0,
      bands: 8,
      maxHz: 8000,
      ringSize: 64,
    });
    const row = (i: number): Float32Array => spectra[i]!;
    const out = new Float32Array(bins);
    for (let f = 0; f <= 60; f++) repet.ingest(f, spectra[f]!);
    repet.background(40, 60, row, 0, bins, out);
    // The most similar frames are the loop's other copies of this position; their median is the loop.
    expect(Array.from(out)).toEqual(Array.from(loop[0]!));
    expect(out[5]).toBeLessThan(spectra[40]![5]);
    repet.background(30, 60, row, 0, bins, out);
    expect(Array.from(out)).toEqual(Array.from(loop[2]!));
  });
});

describe('sortSmallest', () => {
  it('puts the smallest keys in order a part at a time, as one whole sort would', () => {
    let seed = 3;
    const rand = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (const n of [1, 2, 5, 64, 777]) {
      const original = Float64Array.from(new Set(Array.from({ length: n }, () => Math.round(rand() * 1e6))));
      const sorted = original.slice().sort();
      for (const part of [1, 2, 13, 200, 1000]) {
        const keys = original.slice();
        let done = 0;
        while (done < keys.length) {
          const next = sortSmallest(keys, done, keys.length, done + part);
          expect(next).toBe(Math.min(keys.length, done + part));
          // The part is in order and holds the smallest of what was left: the whole sort's prefix.
          expect(Array.from(keys.subarray(0, next))).toEqual(Array.from(sorted.subarray(0, next)));
          done = next;
        }
      }
    }
  });
});
