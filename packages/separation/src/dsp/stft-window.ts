// Windows for the STFT: analysis and synthesis both use a periodic Hann window; the overlap-add gain
// undoes the sum of squared windows, so an unmodified spectrum resynthesises the input exactly.

/** Periodic Hann window of `size` points (the variant that overlap-adds to a constant). */
export function hannWindow(size: number): Float32Array {
  const w = new Float32Array(size);
  for (let i = 0; i < size; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size);
  return w;
}

/**
 * Per-position gain 1 / Σ_j w²(t + j·hop) for t in [0, hop): multiplying overlap-added, synthesis-windowed
 * frames by it gives perfect reconstruction. Throws when the window and hop leave gaps (the sum is ~0).
 */
export function overlapAddGain(window: Float32Array, hop: number): Float32Array {
  const size = window.length;
  if (hop <= 0 || size % hop !== 0) throw new RangeError(`hop ${hop} must divide the window size ${size}`);
  const gain = new Float32Array(hop);
  for (let t = 0; t < hop; t++) {
    let sum = 0;
    for (let j = t; j < size; j += hop) sum += window[j]! * window[j]!;
    if (sum < 1e-6) throw new RangeError(`window of ${size} with hop ${hop} does not overlap-add`);
    gain[t] = 1 / sum;
  }
  return gain;
}
