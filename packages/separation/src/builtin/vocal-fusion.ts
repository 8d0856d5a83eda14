import type { FrameCues } from './stem-masks.ts';

/**
 * Soft fusion of the vocal cues (issue 15): instead of a product of powers, the vocal mask is a logistic
 * function of a few per-bin features, m = σ(w · φ), with weights w fitted on the `tune` songs only
 * (bench/fit-fusion.ts). The features are the REPET-SIM foreground, its log ratio and its average over the
 * neighbouring bins, the HPSS harmonic fraction, where the bin sits in the stereo field, and where it
 * sits in frequency, plus the products a product of powers could express.
 */
export const FUSION_FEATURES = [
  'bias',
  'foreground',
  'foregroundNear',
  'logRatio',
  'harmonic',
  'centre',
  'coherence',
  'absPan',
  'frameForeground',
  'octave',
  'octave2',
  'foregroundOctave',
  'foregroundHarmonic',
  'foregroundCentre',
  'level',
  'logForegroundNear',
] as const;

export const FUSION_FEATURE_COUNT = FUSION_FEATURES.length;

/** Stereo position of one frame's bins (azimuth.ts), or undefined for mono. */
export interface StereoCues {
  pan: Float32Array;
  coherence: Float32Array;
  /** Azimuth cue around the centre (azimuth.ts). */
  centre: Float32Array;
}

export interface FusionShape {
  /** Bins [binLo, binHi) are the vocal band; features are computed there only. */
  binLo: number;
  binHi: number;
  /** Hz per bin. */
  binHz: number;
  /** Bins each side averaged into foregroundNear. */
  near: number;
}

/**
 * Writes the features of bins [binLo, binHi) into `out`, FUSION_FEATURE_COUNT per bin, bin binLo first.
 * `scratch` is at least `bins` long.
 */
export function fusionFeatures(
  cues: FrameCues,
  stereo: StereoCues | undefined,
  shape: FusionShape,
  out: Float32Array,
  scratch: Float32Array,
): void {
  const { magnitudes, background, harmonic } = cues;
  const { binLo, binHi, binHz, near } = shape;
  const fg = scratch;
  let energy = 0;
  let foreground = 0;
  let logSum = 0;
  for (let k = binLo; k < binHi; k++) {
    const mag = magnitudes[k]!;
    fg[k] = mag > 0 ? 1 - Math.min(background[k]!, mag) / mag : 0;
    energy += mag;
    foreground += mag * fg[k]!;
    logSum += Math.log(mag + 1e-9);
  }
  const frameForeground = energy > 0 ? foreground / energy : 0;
  const meanLog = logSum / Math.max(1, binHi - binLo);
  let sum = 0;
  let lo = binLo;
  let hi = binLo;
  const F = FUSION_FEATURE_COUNT;
  for (let k = binLo, at = 0; k < binHi; k++, at += F) {
    const wantHi = Math.min(binHi, k + near + 1);
    while (hi < wantHi) sum += fg[hi++]!;
    const wantLo = Math.max(binLo, k - near);
    while (lo < wantLo) sum -= fg[lo++]!;
    const mag = magnitudes[k]!;
    const f = fg[k]!;
    const h = harmonic[k]!;
    const octave = Math.log2(Math.max(k * binHz, 1) / 200) / 6;
    const centre = stereo === undefined ? 1 : stereo.centre[k]!;
    out[at] = 1;
    out[at + 1] = f;
    out[at + 2] = sum / (hi - lo);
    out[at + 3] = clamp(Math.log((mag + 1e-9) / (background[k]! + 1e-9)), -3, 3);
    out[at + 4] = h;
    out[at + 5] = centre;
    out[at + 6] = stereo === undefined ? 1 : stereo.coherence[k]!;
    out[at + 7] = stereo === undefined ? 0 : Math.abs(stereo.pan[k]!);
    out[at + 8] = frameForeground;
    out[at + 9] = octave;
    out[at + 10] = octave * octave;
    out[at + 11] = f * octave;
    out[at + 12] = f * h;
    out[at + 13] = f * centre;
    out[at + 14] = clamp((Math.log(mag + 1e-9) - meanLog) / 4, -2, 2);
    out[at + 15] = Math.max(Math.log(out[at + 2]!), -6);
  }
}

/** m[k] = band[k] · σ(w · φ_k) for bins [binLo, binHi), 0 elsewhere; `features` as fusionFeatures wrote them. */
export function fusionMask(
  features: Float32Array,
  weights: ArrayLike<number>,
  band: Float32Array,
  shape: FusionShape,
  out: Float32Array,
  bins: number,
): void {
  const F = FUSION_FEATURE_COUNT;
  out.fill(0, 0, shape.binLo);
  out.fill(0, shape.binHi, bins);
  for (let k = shape.binLo, at = 0; k < shape.binHi; k++, at += F) {
    let z = 0;
    for (let i = 0; i < F; i++) z += weights[i]! * features[at + i]!;
    out[k] = band[k]! / (1 + Math.exp(-z));
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/**
 * True when a frame's two channels differ somewhere in bins [binLo, binHi): a frame of a mono song copied
 * to both channels has every bin centred and coherent, which says nothing about where the voice is.
 */
export function hasStereoImage(
  pan: Float32Array,
  coherence: Float32Array,
  binLo: number,
  binHi: number,
): boolean {
  for (let k = binLo; k < binHi; k++) {
    if (Math.abs(pan[k]!) > 1e-6 || coherence[k]! < 1 - 1e-6) return true;
  }
  return false;
}

/** Weights of the fusion, one per FUSION_FEATURES entry: for stereo frames, and for frames without a stereo image. */
export interface FusionWeights {
  stereo: readonly number[];
  mono: readonly number[];
}

/**
 * Fitted on General MIDI songs that are neither tune nor test songs, and checked on the tune songs
 * (bench/fit-fusion.ts, see docs/separation.md); mono leaves out the four stereo features.
 */
export const FUSION_WEIGHTS: Readonly<FusionWeights> = Object.freeze({
  // IMK_CORPUS_DIR=… node --import tsx packages/separation/bench/fit-fusion.ts --fit-songs 4 --weight power --target power
  stereo: Object.freeze([
    -1.50966, 0.13786, 2.38304, 0.01257, -0.93803, -0.66751, -1.16589, 0.53105, -0.05522, 0.89399, -3.16445,
    -0.56808, -0.64982, 1.45126, 1.69261, 0.31465,
  ]),
  // The same with --drop centre,coherence,absPan,foregroundCentre
  mono: Object.freeze([
    -2.45833, 0.27207, 2.65531, 0.02124, -0.61031, 0, 0, 0, 0.01875, 1.45387, -3.48021, -0.64843, -0.82771, 0,
    1.63271, 0.44797,
  ]),
});
