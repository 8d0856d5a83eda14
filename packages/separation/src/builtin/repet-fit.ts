/**
 * The fitted background (BuiltinParams.repetFit; docs/separation-tuning.md, "The fitted background with
 * the voice taken out of its candidates"). REPET-SIM's median of the similar frames falls below a frame's
 * own accompaniment where its notes do not recur exactly; a nonnegative combination of the same frames can
 * rebuild a chord that recurs only in parts. For frame t with median background M and chosen frames X_k
 * (the frame itself left out):
 *
 * 1. each candidate is cleaned of the voice by this frame's median: C_k = min(X_k, cap · M) per bin (a
 *    candidate's voice note enters only where this frame's background is already loud);
 * 2. frame and candidates are summed into FIT_BANDS mel bands spanning the bins given (Y_b, A_kb), and
 *    bands where the frame is more than `foreground` × the median's band (likely voice) are left out;
 * 3. w ≥ 0 minimises Σ_b d_b (Y_b − Σ_k w_k A_kb)², d_b = 1 where the fit lies above the frame and TAU
 *    below it (the voice only adds energy: fit from below), by `sweeps` sweeps of projected coordinate
 *    descent from w = ½ / K, d re-read from the residual's signs at the start of each sweep;
 * 4. the background is (1 − blend) · M + blend · min(Σ_k w_k C_k, X_t) per bin.
 *
 * Everything is preallocated for at most `maxCandidates` candidates: no allocation per frame.
 */
export interface RepetFit {
  /**
   * Replaces `out[binLo..binHi)` (holding the median background of frame `self`'s magnitudes) with the
   * blend above; `candidates[0..count)` are the chosen frames' magnitudes without the frame itself.
   */
  apply(
    self: Float32Array,
    candidates: readonly Float32Array[],
    count: number,
    binLo: number,
    binHi: number,
    out: Float32Array,
  ): void;
}

export interface RepetFitOptions {
  bins: number;
  binHz: number;
  maxCandidates: number;
  /** Share of the fit in the background (0 < blend ≤ 1). */
  blend: number;
  /** Candidates are capped at this many times the frame's median (c). */
  cap: number;
  /** Bands where the frame exceeds this many times the median are left out of the fit; 0 keeps every band. */
  foreground: number;
  /** Sweeps of coordinate descent per frame. */
  sweeps: number;
}

export const FIT_BANDS = 64;
const TAU = 0.1;

export function createRepetFit(options: RepetFitOptions): RepetFit {
  const { bins, binHz, blend, cap, foreground, sweeps } = options;
  const K = Math.max(1, options.maxCandidates);
  const pooled = new Float64Array(K * FIT_BANDS);
  const y = new Float64Array(FIT_BANDS);
  const r = new Float64Array(FIT_BANDS);
  const d = new Float64Array(FIT_BANDS);
  const w = new Float64Array(K);
  const limit = new Float32Array(bins);
  const fit = new Float32Array(bins);
  // Band b is bins [edges[b], edges[b + 1]) (mel bands are contiguous); `used` lists the bands fitted.
  const edges = new Int32Array(FIT_BANDS + 1);
  const used = new Int32Array(FIT_BANDS);
  let mappedLo = -1;
  let mappedHi = -1;

  /** Bins [lo, hi) into FIT_BANDS bands equally spaced on the mel scale between their edges. */
  const map = (lo: number, hi: number): void => {
    const mel = (hz: number): number => 2595 * Math.log10(1 + hz / 700);
    const bottom = mel(lo * binHz);
    const span = Math.max(1e-9, mel(hi * binHz) - bottom);
    edges.fill(hi);
    for (let k = hi - 1; k >= lo; k--)
      edges[Math.min(FIT_BANDS - 1, Math.floor(((mel(k * binHz) - bottom) / span) * FIT_BANDS))] = k;
    // An empty band starts where the next one does.
    for (let b = FIT_BANDS - 1; b >= 0; b--) edges[b] = Math.min(edges[b]!, edges[b + 1]!);
    mappedLo = lo;
    mappedHi = hi;
  };

  return {
    apply(self, candidates, count, binLo, binHi, out) {
      const n = Math.min(count, K);
      if (n === 0 || binHi <= binLo) return;
      if (binLo !== mappedLo || binHi !== mappedHi) map(binLo, binHi);
      for (let k = binLo; k < binHi; k++) limit[k] = cap * out[k]!;
      let bands = 0;
      for (let b = 0; b < FIT_BANDS; b++) {
        let sy = 0;
        let sm = 0;
        for (let k = edges[b]!, end = edges[b + 1]!; k < end; k++) {
          sy += self[k]!;
          sm += out[k]!;
        }
        y[b] = sy;
        if (foreground === 0 || sy <= foreground * sm) used[bands++] = b;
      }
      // Each candidate, cleaned (min with the cap), pooled into the fitted bands: pooled[c·FIT_BANDS + i]
      // for the i-th fitted band.
      for (let c = 0; c < n; c++) {
        const x = candidates[c]!;
        const pb = c * FIT_BANDS;
        for (let i = 0; i < bands; i++) {
          const b = used[i]!;
          let s = 0;
          for (let k = edges[b]!, end = edges[b + 1]!; k < end; k++) {
            const v = x[k]!;
            const l = limit[k]!;
            s += v < l ? v : l;
          }
          pooled[pb + i] = s;
        }
      }
      // Projected coordinate descent of the asymmetric least squares, from w = ½ / n.
      const start = 0.5 / n;
      for (let c = 0; c < n; c++) w[c] = start;
      for (let i = 0; i < bands; i++) {
        let s = 0;
        for (let c = 0; c < n; c++) s += pooled[c * FIT_BANDS + i]!;
        r[i] = y[used[i]!]! - start * s;
      }
      for (let sweep = 0; sweep < sweeps; sweep++) {
        for (let i = 0; i < bands; i++) d[i] = r[i]! < 0 ? 1 : TAU;
        for (let c = 0; c < n; c++) {
          const pb = c * FIT_BANDS;
          let num = 0;
          let den = 0;
          for (let i = 0; i < bands; i++) {
            const p = pooled[pb + i]!;
            const a = p * d[i]!;
            num += a * r[i]!;
            den += a * p;
          }
          if (den <= 0) continue;
          const next = Math.max(0, w[c]! + num / den);
          const delta = next - w[c]!;
          if (delta === 0) continue;
          w[c] = next;
          for (let i = 0; i < bands; i++) r[i] = r[i]! - delta * pooled[pb + i]!;
        }
      }
      fit.fill(0, binLo, binHi);
      for (let c = 0; c < n; c++) {
        const wc = w[c]!;
        if (wc === 0) continue;
        const x = candidates[c]!;
        for (let k = binLo; k < binHi; k++) {
          const v = x[k]!;
          const l = limit[k]!;
          fit[k] = fit[k]! + wc * (v < l ? v : l);
        }
      }
      const keep = 1 - blend;
      for (let k = binLo; k < binHi; k++) {
        const f = fit[k]! < self[k]! ? fit[k]! : self[k]!;
        out[k] = keep * out[k]! + blend * f;
      }
    },
  };
}
