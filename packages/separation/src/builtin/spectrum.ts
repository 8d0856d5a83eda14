// Helpers on packed real spectra (see dsp/fft.ts): [Re(0), Re(N/2), Re(1), Im(1), ...], bins 0..N/2.

/** Adds |X(k)| of one channel's packed spectrum to acc[k] for the bins 0..N/2. */
export function addMagnitudes(spec: Float32Array, acc: Float32Array, bins: number): void {
  acc[0] = acc[0]! + Math.abs(spec[0]!);
  acc[bins - 1] = acc[bins - 1]! + Math.abs(spec[1]!);
  for (let k = 1; k < bins - 1; k++) {
    const re = spec[2 * k]!;
    const im = spec[2 * k + 1]!;
    acc[k] = acc[k]! + Math.sqrt(re * re + im * im);
  }
}

/**
 * Weight per bin of a band between lowHz and highHz: 0 below lowHz, rising linearly over `rampHz` (a step
 * when 0), 1 up to highHz, 0 from highHz on.
 */
export function bandWeights(
  bins: number,
  binHz: number,
  lowHz: number,
  rampHz: number,
  highHz: number,
): Float32Array {
  const w = new Float32Array(bins);
  for (let k = 0; k < bins; k++) {
    const f = k * binHz;
    if (f < lowHz || f >= highHz) w[k] = 0;
    else w[k] = rampHz > 0 ? Math.min(1, (f - lowHz) / rampHz) : 1;
  }
  return w;
}

/** Low-pass weight per bin: 1 well below cutoffHz, 0 well above, a linear crossover `rampHz` wide. */
export function lowPassWeights(bins: number, binHz: number, cutoffHz: number, rampHz: number): Float32Array {
  const w = new Float32Array(bins);
  for (let k = 0; k < bins; k++) {
    const f = k * binHz;
    w[k] = rampHz > 0 ? Math.min(1, Math.max(0, 0.5 - (f - cutoffHz) / rampHz)) : f < cutoffHz ? 1 : 0;
  }
  return w;
}
