// A multichannel Wiener-style post-filter for stereo input (after Duong, Vincent and Gribonval's local
// Gaussian model, as norbert applies it): each source j has, per bin, a spatial covariance R_j (2×2,
// Hermitian, trace 2) and a power v_j; the vocals' image is W·x with W = v_v·R_v·(v_v·R_v + v_a·R_a)⁻¹.
// Where the vocals and the accompaniment sit in different places of the stereo field, W removes the part
// of a bin that comes from the accompaniment's place, which a real-valued mask cannot do.
//
// Streaming and bounded: R_j is an exponentially weighted average over the frames already filtered (time
// constant `seconds`), pulled towards a prior while few frames have been seen: the vocals coherent and
// centred, the accompaniment where the mixture as a whole is.

/** Filters the vocals out of one stereo frame of packed spectra (see dsp/fft.ts). */
export interface SpatialWiener {
  /**
   * Writes the vocals' packed spectra for both channels from the mixture's (`left`, `right`) and the
   * vocal mask (one gain 0..1 per bin); bins outside [binLo, binHi) get mask · x. Updates the averages.
   */
  apply(
    left: Float32Array,
    right: Float32Array,
    mask: Float32Array,
    binLo: number,
    binHi: number,
    outLeft: Float32Array,
    outRight: Float32Array,
  ): void;
}

export interface SpatialWienerOptions {
  bins: number;
  /** Frames per second (sample rate / hop). */
  frameRate: number;
  /** Time constant of the spatial averages in seconds. */
  seconds: number;
  /** Exponent on the mask for the sources' powers: v_v ∝ m^q, v_a ∝ (1 − m)^q (1 keeps the mask's scale). */
  power: number;
  /** Weight of the prior, in frames: R = (n·R̂ + n0·P) / (n + n0). */
  priorFrames: number;
}

/** Diagonal loading of the mixture model, relative to its trace, so it always inverts. */
const LOADING = 1e-3;

/** A decayed Σ y·yᴴ per bin (2×2 Hermitian): the diagonal, and the real and imaginary parts of (1,2). */
interface Covariances {
  s11: Float64Array;
  s22: Float64Array;
  s12r: Float64Array;
  s12i: Float64Array;
}

const covariances = (bins: number): Covariances => ({
  s11: new Float64Array(bins),
  s22: new Float64Array(bins),
  s12r: new Float64Array(bins),
  s12i: new Float64Array(bins),
});

export function createSpatialWiener(options: SpatialWienerOptions): SpatialWiener {
  const { bins, power: q, priorFrames } = options;
  const decay = Math.exp(-1 / (options.seconds * options.frameRate));
  // The vocals' (m·x), the accompaniment's ((1 − m)·x) and the mixture's (x).
  const vs = covariances(bins);
  const as = covariances(bins);
  const xs = covariances(bins);
  let frames = 0; // decayed count of frames seen
  let priorWeight = priorFrames; // the prior counts as frames seen before the first, and fades like them

  // Adds g·(x·xᴴ) to c at bin k, after decaying it; p1, p2, cr, ci are x·xᴴ's entries.
  const accumulate = (
    c: Covariances,
    k: number,
    g: number,
    p1: number,
    p2: number,
    cr: number,
    ci: number,
  ) => {
    c.s11[k] = decay * c.s11[k]! + g * p1;
    c.s22[k] = decay * c.s22[k]! + g * p2;
    c.s12r[k] = decay * c.s12r[k]! + g * cr;
    c.s12i[k] = decay * c.s12i[k]! + g * ci;
  };

  return {
    apply(left, right, mask, binLo, binHi, outLeft, outRight) {
      const write = (k: number, lr: number, li: number, rr: number, ri: number): void => {
        outLeft[2 * k] = lr;
        outLeft[2 * k + 1] = li;
        outRight[2 * k] = rr;
        outRight[2 * k + 1] = ri;
      };
      const { s11: v11, s22: v22, s12r: v12r, s12i: v12i } = vs;
      const { s11: a11, s22: a22, s12r: a12r, s12i: a12i } = as;
      const { s11: x11, s22: x22, s12r: x12r, s12i: x12i } = xs;
      frames = decay * frames + 1;
      priorWeight *= decay;
      const seen = frames / (frames + priorWeight);
      const prior = 1 - seen;
      // DC and Nyquist are real-valued and never in a vocal band worth filtering: the plain mask.
      outLeft[0] = left[0]! * mask[0]!;
      outRight[0] = right[0]! * mask[0]!;
      outLeft[1] = left[1]! * mask[bins - 1]!;
      outRight[1] = right[1]! * mask[bins - 1]!;
      const lo = Math.max(1, binLo);
      const hi = Math.min(bins - 1, binHi);
      for (let k = 1; k < bins - 1; k++) {
        const lr = left[2 * k]!;
        const li = left[2 * k + 1]!;
        const rr = right[2 * k]!;
        const ri = right[2 * k + 1]!;
        const m = mask[k]!;
        if (k < lo || k >= hi) {
          write(k, lr * m, li * m, rr * m, ri * m);
          continue;
        }
        // Statistics from the masked mixture, y_v = m·x and y_a = (1 − m)·x. (From the filter's own outputs,
        // an online EM step, they ran away on the tune songs: the rest loses its centre, so more of the
        // centre goes to the vocals, and so on.)
        const pl = lr * lr + li * li;
        const pr = rr * rr + ri * ri;
        const cr = lr * rr + li * ri;
        const ci = li * rr - lr * ri;
        accumulate(xs, k, 1, pl, pr, cr, ci);
        accumulate(vs, k, m * m, pl, pr, cr, ci);
        accumulate(as, k, (1 - m) * (1 - m), pl, pr, cr, ci);
        if (m <= 0) {
          write(k, 0, 0, 0, 0);
          continue;
        }
        // Spatial covariances, trace 2, blended with the priors: the vocals centred and coherent
        // ([[1,1],[1,1]]), the accompaniment where the mixture is.
        const tv = v11[k]! + v22[k]!;
        const sv = tv > 0 ? (2 * seen) / tv : 0;
        const wv = tv > 0 ? prior : 1;
        const rv11 = v11[k]! * sv + wv;
        const rv22 = v22[k]! * sv + wv;
        const rv12r = v12r[k]! * sv + wv;
        const rv12i = v12i[k]! * sv;
        const tx = x11[k]! + x22[k]!;
        const px = tx > 0 ? 2 / tx : 0;
        const p11 = tx > 0 ? x11[k]! * px : 1;
        const p22 = tx > 0 ? x22[k]! * px : 1;
        const ta = a11[k]! + a22[k]!;
        const sa = ta > 0 ? (2 * seen) / ta : 0;
        const wa = ta > 0 ? prior : 1;
        const ra11 = a11[k]! * sa + wa * p11;
        const ra22 = a22[k]! * sa + wa * p22;
        const ra12r = a12r[k]! * sa + wa * x12r[k]! * px;
        const ra12i = a12i[k]! * sa + wa * x12i[k]! * px;
        // Model of the mixture: C = a·R_v + b·R_a + loading·I (the common power cancels in W).
        const a = q === 1 ? m : Math.pow(m, q);
        const b = q === 1 ? 1 - m : Math.pow(1 - m, q);
        const load = LOADING * (a + b);
        const c11 = a * rv11 + b * ra11 + load;
        const c22 = a * rv22 + b * ra22 + load;
        const c12r = a * rv12r + b * ra12r;
        const c12i = a * rv12i + b * ra12i;
        const det = c11 * c22 - (c12r * c12r + c12i * c12i);
        if (!(det > 0)) {
          write(k, lr * m, li * m, rr * m, ri * m);
          continue;
        }
        // z = C⁻¹·x, then vocals = a·R_v·z.
        const inv = 1 / det;
        // C⁻¹ = [[c22, −c12], [−c12*, c11]] / det
        const zlr = (c22 * lr - (c12r * rr - c12i * ri)) * inv;
        const zli = (c22 * li - (c12r * ri + c12i * rr)) * inv;
        const zrr = (c11 * rr - (c12r * lr + c12i * li)) * inv;
        const zri = (c11 * ri - (c12r * li - c12i * lr)) * inv;
        // R_v·z with R_v = [[rv11, rv12], [rv12*, rv22]]
        write(
          k,
          a * (rv11 * zlr + (rv12r * zrr - rv12i * zri)),
          a * (rv11 * zli + (rv12r * zri + rv12i * zrr)),
          a * (rv22 * zrr + (rv12r * zlr + rv12i * zli)),
          a * (rv22 * zri + (rv12r * zli - rv12i * zlr)),
        );
      }
    },
  };
}
