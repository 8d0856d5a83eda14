import type { PcmChannels } from '../engine.ts';
import { createRealFft } from '../dsp/fft.ts';
import { createRowMedian } from '../dsp/median-network.ts';
import { overlapAddGain } from '../dsp/stft-window.ts';
import { createFrameDots, DOT_BLOCK, type FrameDots } from '../dsp/wasm-dot-rows.ts';

/**
 * REPET-SIM with nussl's defaults (nussl.separation.primitive.RepetSim, STFT 2048/512 with a sqrt-Hann
 * window), offline on the whole song:
 * - similarity: cosine of the channel-mean magnitude frames, over the whole song;
 * - per frame, greedy peak picking on its similarity row: the most similar frame, then everything within
 *   1 s of it is excluded, up to 100 picks while anything similar is left; the first pick (the frame
 *   itself) is dropped, as nussl does;
 * - per channel, the median of the picked frames' magnitudes, then the minimum with the mixture's, as a
 *   soft mask (background = (median + ε) / (|X| + ε); a frame with no picks is all background);
 * - the band below 100 Hz is kept whole in the background (accompaniment).
 * Vocals = the foreground, accompaniment = the background (they sum to the mixture). O(frames²) time.
 */
export const REPET_SIM_DEFAULTS = Object.freeze({
  windowLength: 2048,
  hop: 512,
  maxRepeatingFrames: 100,
  minDistanceSec: 1,
  similarityThreshold: 0,
  highPassHz: 100,
});

const EPSILON = 1e-16;

export function repetSimSeparate(
  mixture: PcmChannels,
  sampleRate: number,
): { vocals: PcmChannels; accompaniment: PcmChannels } {
  const { windowLength: N, hop: H } = REPET_SIM_DEFAULTS;
  const bins = N / 2 + 1;
  const fft = createRealFft(N);
  const window = new Float32Array(N);
  for (let i = 0; i < N; i++) window[i] = Math.sqrt(0.5 - 0.5 * Math.cos((2 * Math.PI * i) / N));
  const gain = overlapAddGain(window, H);
  const length = mixture[0]?.length ?? 0;
  const overlap = N / H;
  // Frame f covers samples [(f − overlap + 1)·H, (f + 1)·H): every sample is in `overlap` frames.
  const frames = Math.ceil(length / H) + overlap - 1;
  const start = (f: number) => (f - overlap + 1) * H;
  const chunk = new Float32Array(N);
  const spectrum = new Float32Array(N);
  const load = (channel: Float32Array, f: number) => {
    const s = start(f);
    for (let i = 0; i < N; i++) {
      const t = s + i;
      chunk[i] = t >= 0 && t < length ? channel[t]! : 0;
    }
    fft.forwardWindowed(chunk, window, spectrum);
  };

  // Magnitudes per channel, frame-major; the spectra are recomputed for synthesis (memory: magnitudes only).
  const mags = mixture.map(() => new Float32Array(frames * bins));
  // The channel mean is what the similarity compares: built where the dot-product kernel reads it.
  const dots = createFrameDots(frames, bins);
  const mean = dots?.features ?? new Float32Array(frames * bins);
  for (const [c, channel] of mixture.entries()) {
    for (let f = 0; f < frames; f++) {
      load(channel, f);
      const row = mags[c]!.subarray(f * bins, (f + 1) * bins);
      magnitudesOf(spectrum, row, bins);
      const m = mean.subarray(f * bins, (f + 1) * bins);
      for (let k = 0; k < bins; k++) m[k] = m[k]! + row[k]! / mixture.length;
    }
  }
  const picks = similarFrames(mean, frames, bins, sampleRate / H, dots ?? null);

  const lowBins = Math.min(bins, Math.round((REPET_SIM_DEFAULTS.highPassHz * N) / sampleRate));
  const background = new Float32Array(bins);
  // Per bin, the median of the picked frames' magnitudes: a median network over whole rows (bins in
  // SIMD lanes); its middle values are the ones a sort would give, averaged in double as numpy's are.
  const medians = createRowMedian(REPET_SIM_DEFAULTS.maxRepeatingFrames, bins);
  const vocals = mixture.map(() => new Float32Array(length));
  const accompaniment = mixture.map(() => new Float32Array(length));
  const acc = new Float32Array(N);
  const synthesis = window.map((w) => w / N);
  for (const [c, channel] of mixture.entries()) {
    const mag = mags[c]!;
    for (let f = 0; f < frames; f++) {
      const chosen = picks[f]!;
      const row = mag.subarray(f * bins, (f + 1) * bins);
      background.fill(1);
      const n = chosen.length;
      if (n > 0 && lowBins < bins) {
        for (let j = 0; j < n; j++) {
          const from = chosen[j]! * bins;
          medians.row(j).set(mag.subarray(from + lowBins, from + bins), lowBins);
        }
        const { lower, upper } = medians.middles(n, lowBins, bins);
        for (let k = lowBins; k < bins; k++) {
          const med = (lower[k]! + upper[k]!) / 2;
          background[k] = (Math.min(med, row[k]!) + EPSILON) / (row[k]! + EPSILON);
        }
      }
      load(channel, f);
      acc.fill(0);
      fft.inverseMaskedAdd(spectrum, background, synthesis, acc);
      const s = start(f);
      for (let i = 0; i < N; i++) {
        const t = s + i;
        if (t < 0 || t >= length) continue;
        const g = gain[((t % H) + H) % H]!;
        accompaniment[c]![t] = accompaniment[c]![t]! + acc[i]! * g;
      }
    }
    for (let t = 0; t < length; t++) vocals[c]![t] = channel[t]! - accompaniment[c]![t]!;
  }
  return { vocals, accompaniment };
}

/**
 * nussl's peak picking on every row of the cosine-similarity matrix of the frames (`mean`: frame-major
 * magnitudes, `bins` per frame): per frame, the frames picked as similar to it. The dot products come from
 * the WebAssembly kernel (`dots`, whose features hold `mean`; by default one is made and `mean` copied into
 * it), or with `null` from the plain loop below; both give the same bits. Exported for its test.
 */
export function similarFrames(
  mean: Float32Array,
  frames: number,
  bins: number,
  framesPerSec: number,
  dots: FrameDots | null = kernelWith(mean, frames, bins),
): number[][] {
  const norms = new Float64Array(frames);
  for (let f = 0; f < frames; f++) {
    let s = 0;
    for (let k = 0; k < bins; k++) s += mean[f * bins + k]! ** 2;
    norms[f] = s > 0 ? 1 / Math.sqrt(s) : 0;
  }
  const minDistance = REPET_SIM_DEFAULTS.minDistanceSec * framesPerSec;
  const block = dots === null ? ROWS_AT_ONCE : DOT_BLOCK;
  const rows = Array.from({ length: block }, () => new Float64Array(frames));
  const blockMax = new Float64Array(Math.ceil(frames / BLOCK));
  const picks: number[][] = [];
  for (let first = 0; first < frames; first += block) {
    if (dots === null) dotRows(mean, frames, bins, first, rows);
    else dots.block(first, rows);
    for (let r = 0; r < block && first + r < frames; r++) {
      const i = first + r;
      picks.push(norms[i] === 0 ? [] : pickPeaks(rows[r]!, norms, i, frames, minDistance, blockMax));
    }
  }
  return picks;
}

/** A dot-product kernel holding a copy of `mean`, or null where there is none (the plain loop then). */
function kernelWith(mean: Float32Array, frames: number, bins: number): FrameDots | null {
  const dots = createFrameDots(frames, bins);
  if (dots === undefined) return null;
  dots.features.set(mean.subarray(0, frames * bins));
  return dots;
}

/** Row i of the cosine-similarity matrix from its dot products, then nussl's greedy picks on it. */
function pickPeaks(
  row: Float64Array,
  norms: Float64Array,
  i: number,
  frames: number,
  minDistance: number,
  blockMax: Float64Array,
): number[] {
  const { maxRepeatingFrames, similarityThreshold } = REPET_SIM_DEFAULTS;
  let lo = Infinity;
  let hi = -Infinity;
  for (let j = 0; j < frames; j++) {
    row[j] = row[j]! * norms[i]! * norms[j]!;
    lo = Math.min(lo, row[j]!);
    hi = Math.max(hi, row[j]!);
  }
  // Scaled to [0, 1] per row, values below the threshold dropped (nussl's find_peak_indices).
  const span = hi - lo;
  for (let j = 0; j < frames; j++) {
    const v = span > 0 ? (row[j]! - lo) / span : 0;
    row[j] = v >= similarityThreshold ? v : 0;
  }
  // nussl's loop: take the first largest value, zero everything within minDistance of it, until 100 are
  // taken or nothing above 0 is left. The largest is found through the maxima of blocks of BLOCK frames,
  // kept up to date as windows are zeroed, instead of a scan of the whole row for each pick: the same
  // picks (the first block holding the largest value, then its first frame holding it), far fewer reads.
  const blocks = Math.ceil(frames / BLOCK);
  for (let b = 0; b < blocks; b++) blockMax[b] = maxOf(row, b * BLOCK, Math.min(frames, (b + 1) * BLOCK));
  const found: number[] = [];
  for (let n = 0; n < maxRepeatingFrames; n++) {
    let block = 0;
    for (let b = 1; b < blocks; b++) if (blockMax[b]! > blockMax[block]!) block = b;
    let best = block * BLOCK;
    const end = Math.min(frames, best + BLOCK);
    for (let j = best + 1; j < end; j++) if (row[j]! > row[best]!) best = j;
    found.push(best);
    const from = Math.max(0, Math.trunc(best - minDistance));
    const to = Math.min(frames, Math.trunc(best + minDistance + 1));
    row.fill(0, from, to);
    let left = 0;
    for (let b = 0; b < blocks; b++) {
      const start = b * BLOCK;
      if (start < to && start + BLOCK > from)
        blockMax[b] = maxOf(row, start, Math.min(frames, start + BLOCK));
      left = Math.max(left, blockMax[b]!);
    }
    // Every value is ≥ 0, so "the row sums to 0" (nussl's test) is "its largest value is 0".
    if (left === 0) break;
  }
  return found.slice(1);
}

/** Frames per block of pickPeaks' running maxima. */
const BLOCK = 64;

function maxOf(row: Float64Array, from: number, to: number): number {
  let max = row[from]!;
  for (let j = from + 1; j < to; j++) if (row[j]! > max) max = row[j]!;
  return max;
}

/** Rows of the similarity matrix computed in one pass over the frames. */
const ROWS_AT_ONCE = 4;

/**
 * The dot products of frames first … first+3 with every frame, into rows[0 … 3] (past the last frame, a row
 * repeats the last one and is not used). Each frame's magnitudes are read once for four rows, and the four
 * sums run side by side; each sum adds the same products in the same order as a row alone would, so the
 * result is the same to the bit, about three times faster (a single running sum waits on each addition).
 */
function dotRows(
  mean: Float32Array,
  frames: number,
  bins: number,
  first: number,
  rows: Float64Array[],
): void {
  const last = frames - 1;
  const a0 = Math.min(first, last) * bins;
  const a1 = Math.min(first + 1, last) * bins;
  const a2 = Math.min(first + 2, last) * bins;
  const a3 = Math.min(first + 3, last) * bins;
  const [r0, r1, r2, r3] = rows as [Float64Array, Float64Array, Float64Array, Float64Array];
  for (let j = 0; j < frames; j++) {
    const b = j * bins;
    let d0 = 0;
    let d1 = 0;
    let d2 = 0;
    let d3 = 0;
    for (let k = 0; k < bins; k++) {
      const v = mean[b + k]!;
      d0 += mean[a0 + k]! * v;
      d1 += mean[a1 + k]! * v;
      d2 += mean[a2 + k]! * v;
      d3 += mean[a3 + k]! * v;
    }
    r0[j] = d0;
    r1[j] = d1;
    r2[j] = d2;
    r3[j] = d3;
  }
}

function magnitudesOf(spec: Float32Array, out: Float32Array, bins: number): void {
  out[0] = Math.abs(spec[0]!);
  out[bins - 1] = Math.abs(spec[1]!);
  for (let k = 1; k < bins - 1; k++) out[k] = Math.hypot(spec[2 * k]!, spec[2 * k + 1]!);
}
