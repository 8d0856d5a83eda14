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
  const lowest = bandLowestHz(bandOf, bands, sampleRate, fftSize);
  for (let b = 0; b < bands; b++) {
    const hz = lowest[b]!;
    if (hz >= SIMILARITY_VOCAL_LOW_HZ && hz < SIMILARITY_VOCAL_HIGH_HZ) weights[b] = weight;
  }
  return weights;
}

/** Each band's lowest bin as a frequency in Hz (a band counts by it); NaN for a band no bin falls in. */
function bandLowestHz(bandOf: Int16Array, bands: number, sampleRate: number, fftSize: number): Float64Array {
  const lowest = new Float64Array(bands).fill(Number.NaN);
  for (let k = 0; k < bandOf.length; k++) {
    const b = bandOf[k]!;
    if (b >= 0 && Number.isNaN(lowest[b]!)) lowest[b] = (k * sampleRate) / fftSize;
  }
  return lowest;
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

/**
 * Where a song's share outside the voice's bands is measured: below 200 Hz and from 5 kHz up (a band counts
 * by its lowest bin). The margin keeps out the leakage of a tone just inside 250 Hz–4 kHz.
 */
export const SIMILARITY_OUTSIDE_BELOW_HZ = 200;
export const SIMILARITY_OUTSIDE_FROM_HZ = 5000;
/**
 * The song's median share outside the voice's bands (of a frame's squared unit-length feature) from which
 * `repetVocalWeight` starts to apply, and the share at which it applies whole; the weight slides from 1
 * between them. The tune songs' medians are 0.10–0.31; a song whose sounds all lie in 250 Hz–4 kHz is
 * near 0 (docs/separation-tuning.md, 1.13.0).
 */
export const VOCAL_WEIGHT_SHARE_FROM = 0.02;
export const VOCAL_WEIGHT_SHARE_WHOLE = 0.06;

/**
 * The median, over the non-silent features (`count` unit-length rows of `bands`), of the share of a
 * feature's squared length in the bands below 200 Hz or from 5 kHz up.
 */
export function outsideShareMedian(
  features: Float32Array,
  count: number,
  bandOf: Int16Array,
  bands: number,
  sampleRate: number,
  fftSize: number,
): number {
  const outside = new Uint8Array(bands);
  const lowest = bandLowestHz(bandOf, bands, sampleRate, fftSize);
  for (let b = 0; b < bands; b++) {
    const hz = lowest[b]!;
    outside[b] = hz < SIMILARITY_OUTSIDE_BELOW_HZ || hz >= SIMILARITY_OUTSIDE_FROM_HZ ? 1 : 0;
  }
  const shares: number[] = [];
  for (let e = 0; e < count; e++) {
    let all = 0;
    let out = 0;
    for (let b = 0; b < bands; b++) {
      const v = features[e * bands + b]!;
      all += v * v;
      if (outside[b] === 1) out += v * v;
    }
    if (all > 0) shares.push(out / all);
  }
  if (shares.length === 0) return 0;
  shares.sort((a, b) => a - b);
  return shares[Math.floor(shares.length / 2)]!;
}

/**
 * The weight a long song's voice bands get: `weight` when the song's median share outside them is at
 * least VOCAL_WEIGHT_SHARE_WHOLE, 1 (plain similarity) at VOCAL_WEIGHT_SHARE_FROM or below, in between
 * linearly. A song whose every sound lies in the voice's bands keeps the plain similarity, which weighing
 * would hand to its quiet leftovers outside them.
 */
export function songVocalWeight(weight: number, outsideShare: number): number {
  const from = VOCAL_WEIGHT_SHARE_FROM;
  const whole = VOCAL_WEIGHT_SHARE_WHOLE;
  const share = Math.min(1, Math.max(0, (outsideShare - from) / (whole - from)));
  return share >= 1 ? weight : 1 - (1 - weight) * share;
}
