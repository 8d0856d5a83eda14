// The panning (azimuth) cue: how close each bin sits to the centre of the stereo field, where a voice
// usually is.

/**
 * Per-bin stereo position of one frame: pan = (|R|² − |L|²) / (|L|² + |R|²) in [−1, 1] (0 centre) and
 * coherence = Re(L·R*) / (|L|·|R|) in [−1, 1] (1 when both channels carry the same phase). Silent bins
 * read as centred and coherent. Packed spectra as in dsp/fft.ts.
 */
export function stereoPosition(
  left: Float32Array,
  right: Float32Array,
  pan: Float32Array,
  coherence: Float32Array,
  bins: number,
): void {
  const put = (k: number, lr: number, li: number, rr: number, ri: number): void => {
    const l2 = lr * lr + li * li;
    const r2 = rr * rr + ri * ri;
    const power = l2 + r2;
    if (power > 0) {
      pan[k] = (r2 - l2) / power;
      const cross = Math.sqrt(l2 * r2);
      coherence[k] = cross > 0 ? (lr * rr + li * ri) / cross : 0;
    } else {
      pan[k] = 0;
      coherence[k] = 1;
    }
  };
  put(0, left[0]!, 0, right[0]!, 0);
  put(bins - 1, left[1]!, 0, right[1]!, 0);
  for (let k = 1; k < bins - 1; k++) put(k, left[2 * k]!, left[2 * k + 1]!, right[2 * k]!, right[2 * k + 1]!);
}

/**
 * Azimuth cue per bin, 0..1: max(0, coherence) · √(1 − d²) with d = min(1, |pan − voicePan| / width).
 * With voicePan 0 and width 1 it is exactly the centre cue 2·Re(L·R*) / (|L|² + |R|²).
 */
export function azimuthCue(
  pan: Float32Array,
  coherence: Float32Array,
  voicePan: number,
  width: number,
  out: Float32Array,
  bins: number,
): void {
  for (let k = 0; k < bins; k++) {
    const d = Math.min(1, Math.abs(pan[k]! - voicePan) / width);
    out[k] = Math.max(0, coherence[k]!) * Math.sqrt(1 - d * d);
  }
}
