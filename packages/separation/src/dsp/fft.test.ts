import { describe, expect, it } from 'vitest';
import { createRealFft } from './fft.ts';

function naiveDft(x: Float32Array): { re: number[]; im: number[] } {
  const n = x.length;
  const re: number[] = [];
  const im: number[] = [];
  for (let k = 0; k <= n / 2; k++) {
    let sr = 0;
    let si = 0;
    for (let t = 0; t < n; t++) {
      sr += x[t]! * Math.cos((2 * Math.PI * k * t) / n);
      si -= x[t]! * Math.sin((2 * Math.PI * k * t) / n);
    }
    re.push(sr);
    im.push(si);
  }
  return { re, im };
}

describe('createRealFft', () => {
  it('matches a direct DFT in the packed layout', () => {
    const n = 64;
    const fft = createRealFft(n);
    const x = Float32Array.from(
      { length: n },
      (_, i) => Math.sin(i * 0.3) + 0.5 * Math.cos(i * 1.7) + (i % 5) * 0.1,
    );
    const spec = new Float32Array(n);
    fft.forward(x, spec);
    const { re, im } = naiveDft(x);
    expect(spec[0]).toBeCloseTo(re[0]!, 3);
    expect(spec[1]).toBeCloseTo(re[n / 2]!, 3);
    for (let k = 1; k < n / 2; k++) {
      expect(spec[2 * k]).toBeCloseTo(re[k]!, 3);
      expect(spec[2 * k + 1]).toBeCloseTo(im[k]!, 3);
    }
  });

  it('inverse(forward(x)) gives x back for the STFT sizes', () => {
    for (const n of [1024, 2048, 4096]) {
      const fft = createRealFft(n);
      const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.01) * Math.cos(i * 0.13));
      const spec = new Float32Array(n);
      const back = new Float32Array(n);
      fft.forward(x, spec);
      fft.inverse(spec, back);
      let err = 0;
      for (let i = 0; i < n; i++) err = Math.max(err, Math.abs(back[i]! - x[i]!));
      expect(err).toBeLessThan(1e-5);
    }
  });

  it('fuses windowing into the forward transform and masking plus overlap-add into the inverse', () => {
    const n = 256;
    const fft = createRealFft(n);
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.2) + (i % 7) * 0.05);
    const window = Float32Array.from({ length: n }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
    const plain = new Float32Array(n);
    fft.forward(
      x.map((v, i) => v * window[i]!),
      plain,
    );
    const fused = new Float32Array(n);
    const withNaN = x.slice();
    withNaN[10] = Number.NaN;
    fft.forwardWindowed(x, window, fused);
    expect(Array.from(fused)).toEqual(Array.from(plain));
    fft.forwardWindowed(withNaN, window, fused);
    expect(fused.every((v) => Number.isFinite(v))).toBe(true);

    // Mask 0.5 on every bin, window 1/n: adds half of x to what the accumulator held.
    fft.forward(x, plain);
    const acc = new Float32Array(n).fill(1);
    fft.inverseMaskedAdd(plain, new Float32Array(n / 2 + 1).fill(0.5), new Float32Array(n).fill(1 / n), acc);
    for (let i = 0; i < n; i++) expect(acc[i]).toBeCloseTo(1 + 0.5 * x[i]!, 5);
  });

  it('refuses sizes PFFFT cannot do', () => {
    expect(() => createRealFft(1000)).toThrow(/not supported/);
    expect(() => createRealFft(16)).toThrow(/not supported/);
  });
});
