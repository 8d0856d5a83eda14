import type { BuiltinParams } from './params.ts';

/** Per-bin evidence about one frame, all arrays `bins` long. */
export interface FrameCues {
  /** Σ over channels of |X|. */
  magnitudes: Float32Array;
  /** First HPSS pass: harmonic fraction 0..1. */
  harmonic: Float32Array;
  /** REPET-SIM repeating background (same scale as magnitudes); read only inside the vocal band. */
  background: Float32Array;
  /** Stereo azimuth cue 0..1 (azimuth.ts: 1 for a centred, coherent bin), or undefined when unused (mono, or centreExponent 0). */
  centre: Float32Array | undefined;
  /** Second HPSS pass: harmonic fraction 0..1, or undefined when unused. */
  secondHarmonic: Float32Array | undefined;
}

/** Masks for vocals, drums and bass; "other" is what is left, so the four always sum to one. */
export interface StemMasks {
  vocals: Float32Array;
  drums: Float32Array;
  bass: Float32Array;
}

export interface MaskShape {
  /** Band weights (0..1) where vocals may be. */
  vocalBand: Float32Array;
  /** Low-pass weights (0..1) that make the harmonic accompaniment bass. */
  bassBand: Float32Array;
}

/**
 * Combines the cues into soft masks:
 *   vocals = band · (1 − repeating)^a · (c0 + (1 − c0)·centre^γ) · secondHarmonic^β, then optionally
 *            sharpened Wiener-style: m^p / (m^p + (1 − m)^p), then averaged over ±n bins of the vocal band
 *   drums  = (1 − vocals) · (1 − harmonic)
 *   bass   = (1 − vocals) · harmonic · lowPass
 *   other  = (1 − vocals) · harmonic · (1 − lowPass)        (implicit)
 * where repeating = min(background, |X|) / |X| is REPET-SIM's soft mask. `scratch` is `bins` long.
 */
export function computeStemMasks(
  cues: FrameCues,
  shape: MaskShape,
  params: BuiltinParams,
  out: StemMasks,
  bins: number,
  scratch: Float32Array,
): void {
  computeVocalMask(cues, shape.vocalBand, params, out.vocals, bins, scratch);
  splitRest(cues.harmonic, shape.bassBand, out.vocals, out, bins);
}

/** The vocal mask alone (the first line of computeStemMasks), into `vocals`. */
export function computeVocalMask(
  cues: FrameCues,
  vocalBand: Float32Array,
  params: BuiltinParams,
  vocals: Float32Array,
  bins: number,
  scratch: Float32Array,
): void {
  const { magnitudes, background, centre, secondHarmonic } = cues;
  const a = params.vocalRepetExponent;
  const gamma = params.centreExponent;
  const beta = params.vocalHarmonicExponent;
  const floor = params.centreFloor;
  const sharpen = params.vocalMaskPower;
  const raw = params.vocalMaskSmoothBins > 0 ? scratch : vocals;
  for (let k = 0; k < bins; k++) {
    let vocal = 0;
    const band = vocalBand[k]!;
    const mag = magnitudes[k]!;
    if (band > 0 && mag > 0) {
      const foreground = 1 - Math.min(background[k]!, mag) / mag;
      vocal = band * power(foreground, a);
      if (centre !== undefined) vocal *= floor + (1 - floor) * power(centre[k]!, gamma);
      if (secondHarmonic !== undefined) vocal *= power(secondHarmonic[k]!, beta);
      if (sharpen !== 1 && vocal > 0) {
        // m^p / (m^p + (1 − m)^p) = 1 / (1 + ((1 − m)/m)^p): one power per bin instead of two.
        vocal = band / (1 + power((1 - vocal) / vocal, sharpen));
      }
    }
    raw[k] = vocal;
  }
  if (raw !== vocals) smoothInBand(raw, vocalBand, params.vocalMaskSmoothBins, vocals, bins);
}

/**
 * Drums and bass as shares of what the vocals leave: drums = rest · (1 − harmonic), bass = rest · harmonic ·
 * lowPass, with rest = 1 − vocals, or 1 when `vocals` is undefined (the masks then apply to x − vocals).
 */
export function splitRest(
  harmonic: Float32Array,
  bassBand: Float32Array,
  vocals: Float32Array | undefined,
  out: { drums: Float32Array; bass: Float32Array },
  bins: number,
): void {
  for (let k = 0; k < bins; k++) {
    const rest = vocals === undefined ? 1 : 1 - vocals[k]!;
    const h = harmonic[k]!;
    out.drums[k] = rest * (1 - h);
    out.bass[k] = rest * h * bassBand[k]!;
  }
}

/**
 * Moving average over ±n bins (a running sum), only among the bins where `band` > 0 and only inside them:
 * one bin's REPET estimate is noisy, its neighbours' agree on where the voice is. 0 outside the band.
 */
function smoothInBand(
  input: Float32Array,
  band: Float32Array,
  n: number,
  out: Float32Array,
  bins: number,
): void {
  let k = 0;
  while (k < bins) {
    if (band[k]! <= 0) {
      out[k] = 0;
      k++;
      continue;
    }
    let end = k; // [k, end) is one run of in-band bins
    while (end < bins && band[end]! > 0) end++;
    let sum = 0;
    let lo = k; // window [lo, hi) around bin i
    let hi = k;
    for (let i = k; i < end; i++) {
      const wantHi = Math.min(end, i + n + 1);
      while (hi < wantHi) sum += input[hi++]!;
      const wantLo = Math.max(k, i - n);
      while (lo < wantLo) sum -= input[lo++]!;
      out[i] = sum / (hi - lo);
    }
    k = end;
  }
}

/** x^e for x ≥ 0; common exponents by multiplication and a square root (Math.pow per bin was a hot spot). */
function power(x: number, e: number): number {
  switch (e) {
    case 1:
      return x;
    case 1.5:
      return x * Math.sqrt(x);
    case 2:
      return x * x;
    case 3:
      return x * x * x;
    case 4: {
      const x2 = x * x;
      return x2 * x2;
    }
    default:
      return Math.pow(x, e);
  }
}
