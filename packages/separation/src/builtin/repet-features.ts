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

/** The bands a voice sits in, for `repetVocalWeight`: a band whose lowest bin is in [lo, hi) Hz. */
export const SIMILARITY_VOCAL_LOW_HZ = 250;
export const SIMILARITY_VOCAL_HIGH_HZ = 4000;

/**
 * Per-band weights of the similarity for `repetVocalWeight`: `weight` for the bands whose lowest bin lies
 * from 250 Hz to 4 kHz (where a voice sits), 1 for the rest.
 */
export function vocalBandWeights(
  bandOf: Int16Array,
  bands: number,
  sampleRate: number,
  fftSize: number,
  weight: number,
): Float32Array {
  const weights = new Float32Array(bands).fill(1);
  const seen = new Uint8Array(bands);
  for (let k = 0; k < bandOf.length; k++) {
    const b = bandOf[k]!;
    if (b < 0 || seen[b] !== 0) continue;
    seen[b] = 1;
    const hz = (k * sampleRate) / fftSize;
    if (hz >= SIMILARITY_VOCAL_LOW_HZ && hz < SIMILARITY_VOCAL_HIGH_HZ) weights[b] = weight;
  }
  return weights;
}

/**
 * Weighs a unit-length band feature in place and scales it to unit length again: the feature of the
 * weighted band sums (a silent frame's zeros stay zeros).
 */
export function weighFeature(feature: Float32Array, weights: Float32Array): void {
  let norm = 0;
  for (let b = 0; b < feature.length; b++) {
    const v = feature[b]! * weights[b]!;
    feature[b] = v;
    norm += v * v;
  }
  if (norm > 0) {
    const inv = 1 / Math.sqrt(norm);
    for (let b = 0; b < feature.length; b++) feature[b] = feature[b]! * inv;
  }
}
