import type { BuiltinParams } from './params.ts';

/** Per-bin evidence about one frame, all arrays `bins` long. */
export interface FrameCues {
  /** Σ over channels of |X|. */
  magnitudes: Float32Array;
  /** First HPSS pass: harmonic fraction 0..1. */
  harmonic: Float32Array;
  /** REPET-SIM repeating background (same scale as magnitudes); read only inside the vocal band. */
  background: Float32Array;
  /** Stereo centre cue 0..1, or undefined when unused (mono, or centreExponent 0). */
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
 *   vocals = band · (1 − repeating)^a · centre^γ · secondHarmonic^β
 *   drums  = (1 − vocals) · (1 − harmonic)
 *   bass   = (1 − vocals) · harmonic · lowPass
 *   other  = (1 − vocals) · harmonic · (1 − lowPass)        (implicit)
 * where repeating = min(background, |X|) / |X| is REPET-SIM's soft mask.
 */
export function computeStemMasks(
  cues: FrameCues,
  shape: MaskShape,
  params: BuiltinParams,
  out: StemMasks,
  bins: number,
): void {
  const { magnitudes, harmonic, background, centre, secondHarmonic } = cues;
  const { vocalBand, bassBand } = shape;
  const a = params.vocalRepetExponent;
  const gamma = params.centreExponent;
  const beta = params.vocalHarmonicExponent;
  for (let k = 0; k < bins; k++) {
    let vocal = 0;
    const band = vocalBand[k]!;
    const mag = magnitudes[k]!;
    if (band > 0 && mag > 0) {
      const foreground = 1 - Math.min(background[k]!, mag) / mag;
      vocal = band * (a === 1 ? foreground : Math.pow(foreground, a));
      if (centre !== undefined) vocal *= gamma === 1 ? centre[k]! : Math.pow(centre[k]!, gamma);
      if (secondHarmonic !== undefined)
        vocal *= beta === 1 ? secondHarmonic[k]! : Math.pow(secondHarmonic[k]!, beta);
    }
    const rest = 1 - vocal;
    const h = harmonic[k]!;
    out.vocals[k] = vocal;
    out.drums[k] = rest * (1 - h);
    out.bass[k] = rest * h * bassBand[k]!;
  }
}
