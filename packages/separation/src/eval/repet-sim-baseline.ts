import type { PcmChannels } from '../engine.ts';
import { createRealFft } from '../dsp/fft.ts';
import { overlapAddGain } from '../dsp/stft-window.ts';

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
  const mean = new Float32Array(frames * bins);
  for (const [c, channel] of mixture.entries()) {
    for (let f = 0; f < frames; f++) {
      load(channel, f);
      const row = mags[c]!.subarray(f * bins, (f + 1) * bins);
      magnitudesOf(spectrum, row, bins);
      const m = mean.subarray(f * bins, (f + 1) * bins);
      for (let k = 0; k < bins; k++) m[k] = m[k]! + row[k]! / mixture.length;
    }
  }
  const picks = similarFrames(mean, frames, bins, sampleRate / H);

  const lowBins = Math.min(bins, Math.round((REPET_SIM_DEFAULTS.highPassHz * N) / sampleRate));
  const background = new Float32Array(bins);
  const values = new Float32Array(REPET_SIM_DEFAULTS.maxRepeatingFrames);
  const vocals = mixture.map(() => new Float32Array(length));
  const accompaniment = mixture.map(() => new Float32Array(length));
  const acc = new Float32Array(N);
  const synthesis = window.map((w) => w / N);
  for (const [c, channel] of mixture.entries()) {
    const mag = mags[c]!;
    for (let f = 0; f < frames; f++) {
      const chosen = picks[f]!;
      const row = mag.subarray(f * bins, (f + 1) * bins);
      for (let k = 0; k < bins; k++) {
        let mask = 1;
        if (k >= lowBins && chosen.length > 0) {
          for (let j = 0; j < chosen.length; j++) values[j] = mag[chosen[j]! * bins + k]!;
          const med = median(values, chosen.length);
          mask = (Math.min(med, row[k]!) + EPSILON) / (row[k]! + EPSILON);
        }
        background[k] = mask;
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
 * magnitudes, `bins` per frame): per frame, the frames picked as similar to it. Exported for its test.
 */
export function similarFrames(
  mean: Float32Array,
  frames: number,
  bins: number,
  framesPerSec: number,
): number[][] {
  const norms = new Float64Array(frames);
  for (let f = 0; f < frames; f++) {
    let s = 0;
    for (let k = 0; k < bins; k++) s += mean[f * bins + k]! ** 2;
    norms[f] = s > 0 ? 1 / Math.sqrt(s) : 0;
  }
  const minDistance = REPET_SIM_DEFAULTS.minDistanceSec * framesPerSec;
  const rows = Array.from({ length: ROWS_AT_ONCE }, () => new Float64Array(frames));
  const picks: number[][] = [];
  for (let first = 0; first < frames; first += ROWS_AT_ONCE) {
    dotRows(mean, frames, bins, first, rows);
    for (let r = 0; r < ROWS_AT_ONCE && first + r < frames; r++) {
      const i = first + r;
      picks.push(norms[i] === 0 ? [] : pickPeaks(rows[r]!, norms, i, frames, minDistance));
    }
  }
  return picks;
}

/** Row i of the cosine-similarity matrix from its dot products, then nussl's greedy picks on it. */
function pickPeaks(
  row: Float64Array,
  norms: Float64Array,
  i: number,
  frames: number,
  minDistance: number,
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
  const found: number[] = [];
  for (let n = 0; n < maxRepeatingFrames; n++) {
    // The first largest value (ties go to the earlier frame).
    let best = 0;
    let bestValue = row[0]!;
    for (let j = 1; j < frames; j++) {
      const v = row[j]!;
      if (v > bestValue) {
        best = j;
        bestValue = v;
      }
    }
    found.push(best);
    const from = Math.max(0, Math.trunc(best - minDistance));
    const to = Math.min(frames, Math.trunc(best + minDistance + 1));
    row.fill(0, from, to);
    let sum = 0;
    for (let j = 0; j < frames && sum === 0; j++) sum += row[j]!;
    if (sum === 0) break;
  }
  return found.slice(1);
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

/**
 * numpy's median of the first n values (the mean of the two middle ones when n is even). Sorts them in
 * place by insertion (n ≤ maxRepeatingFrames), in the order of a typed array's sort (NaN last), without a
 * new view per call: this runs once per frame, bin and channel.
 */
function median(values: Float32Array, n: number): number {
  for (let i = 1; i < n; i++) {
    const v = values[i]!;
    let j = i - 1;
    while (j >= 0 && (values[j]! > v || (values[j] !== values[j] && v === v))) {
      values[j + 1] = values[j]!;
      j--;
    }
    values[j + 1] = v;
  }
  const mid = n >> 1;
  return n % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}
