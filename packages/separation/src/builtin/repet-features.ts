/** Band index (0..bands-1) of every bin, -1 above maxHz; bands are equally spaced on the mel scale. */
export function bandIndexPerBin(
  bins: number,
  sampleRate: number,
  fftSize: number,
  bands: number,
  maxHz: number,
): Int16Array {
  const mel = (hz: number): number => 2595 * Math.log10(1 + hz / 700);
  const top = mel(Math.min(maxHz, sampleRate / 2));
  const index = new Int16Array(bins);
  for (let k = 0; k < bins; k++) {
    const m = mel((k * sampleRate) / fftSize);
    index[k] = m >= top ? -1 : Math.min(bands - 1, Math.floor((m / top) * bands));
  }
  return index;
}

/**
 * REPET-SIM's similarity feature of one frame: its magnitudes pooled into mel bands, scaled to unit
 * length (all zeros for a silent frame). Returns the squared length before scaling (0 when silent).
 */
export function bandFeature(
  magnitudes: Float32Array,
  bandOf: Int16Array,
  bands: number,
  out: Float32Array,
): number {
  out.fill(0);
  for (let k = 0; k < bandOf.length; k++) {
    const b = bandOf[k]!;
    if (b >= 0) out[b] = out[b]! + magnitudes[k]!;
  }
  let norm = 0;
  for (let b = 0; b < bands; b++) norm += out[b]! * out[b]!;
  if (norm > 0) {
    const inv = 1 / Math.sqrt(norm);
    for (let b = 0; b < bands; b++) out[b] = out[b]! * inv;
  }
  return norm;
}
