import { createRowMedian } from '../dsp/median-network.ts';
import { createFrameRing } from './frame-ring.ts';

/**
 * REPET-SIM (Rafii & Pardo 2012) over a bounded window: each frame's repeating background is the per-bin
 * median of the frames most similar to it within ±window frames. Similarity is the cosine between frames
 * pooled into a few mel-spaced bands, computed once per pair as frames arrive, so memory and time per frame
 * stay fixed however long the song is.
 */
export interface RepetSim {
  /** Frames of lookahead needed: the window. */
  readonly window: number;
  /** Records frame `frame`'s magnitudes (frames arrive in order, from 0). */
  ingest(frame: number, magnitudes: Float32Array): void;
  /**
   * Writes the repeating background of frame `center` for bins [binLo, binHi) into `out`, using frames
   * [center - window, min(center + window, lastFrame)]; `row(i)` returns frame i's magnitudes.
   */
  background(
    center: number,
    lastFrame: number,
    row: (frame: number) => Float32Array,
    binLo: number,
    binHi: number,
    out: Float32Array,
  ): void;
}

export interface RepetSimOptions {
  bins: number;
  sampleRate: number;
  fftSize: number;
  /** ± frames compared. */
  window: number;
  neighbours: number;
  /** Minimum distance between chosen frames, in frames (>= 1). */
  spacing: number;
  minSimilarity: number;
  bands: number;
  maxHz: number;
  /** Frames the caller keeps magnitudes for (ring size); the similarity ring uses the same. */
  ringSize: number;
}

/** Largest window (frames each side) the candidate keys can index. */
export const MAX_REPET_WINDOW = 2047;
const INDEX_SCALE = 4096;
const SIM_SCALE = 2 ** 30;

export function createRepetSim(options: RepetSimOptions): RepetSim {
  if (options.window > MAX_REPET_WINDOW) {
    throw new RangeError(`REPET-SIM window of ${options.window} frames exceeds ${MAX_REPET_WINDOW}`);
  }
  const { bins, window, neighbours, spacing, minSimilarity, bands, ringSize } = options;
  const bandOf = bandIndexPerBin(options);
  const features = createFrameRing(ringSize, bands);
  // sims.row(f)[d] = similarity of frames f and f - d, d in 1..window.
  const sims = createFrameRing(ringSize, window + 1);
  const span = 2 * window + 1;
  const keys = new Float64Array(span);
  const blocked = new Uint8Array(span);
  const chosen = new Int32Array(Math.max(neighbours, 1));
  const rows: Float32Array[] = [];
  const rowMedian = createRowMedian(Math.max(neighbours, 1), bins);

  return {
    window,
    ingest(frame, magnitudes) {
      const feat = features.row(frame);
      feat.fill(0);
      for (let k = 0; k < bins; k++) {
        const b = bandOf[k]!;
        if (b >= 0) feat[b] = feat[b]! + magnitudes[k]!;
      }
      let norm = 0;
      for (let b = 0; b < bands; b++) norm += feat[b]! * feat[b]!;
      if (norm > 0) {
        const inv = 1 / Math.sqrt(norm);
        for (let b = 0; b < bands; b++) feat[b] = feat[b]! * inv;
      }
      const sim = sims.row(frame);
      sim[0] = norm > 0 ? 1 : 0;
      const reach = Math.min(window, frame);
      for (let d = 1; d <= reach; d++) {
        const other = features.row(frame - d);
        let dot = 0;
        for (let b = 0; b < bands; b++) dot += feat[b]! * other[b]!;
        sim[d] = dot;
      }
    },
    background(center, lastFrame, row, binLo, binHi, out) {
      const lo = Math.max(0, center - window);
      const hi = Math.min(lastFrame, center + window);
      const base = center - window;
      const centerSims = sims.row(center);
      let n = 0;
      for (let i = lo; i <= hi; i++) {
        const s = i <= center ? centerSims[center - i]! : sims.row(i)[i - center]!;
        // One sortable number per candidate: most similar first, ties by frame (deterministic).
        keys[n++] = Math.round((2 - s) * SIM_SCALE) * INDEX_SCALE + (i - base);
        blocked[i - base] = 0;
      }
      keys.subarray(0, n).sort();
      // Greedy: most similar first, never two chosen frames closer than `spacing`. The frame itself
      // (similarity 1) is normally the first pick, as in REPET-SIM.
      let count = 0;
      for (let r = 0; r < n && count < neighbours; r++) {
        const key = keys[r]!;
        const j = key % INDEX_SCALE;
        if (blocked[j] !== 0) continue;
        if (count > 0 && 2 - Math.floor(key / INDEX_SCALE) / SIM_SCALE < minSimilarity) break;
        chosen[count++] = base + j;
        const from = Math.max(0, j - spacing + 1);
        const to = Math.min(span - 1, j + spacing - 1);
        blocked.fill(1, from, to + 1);
      }
      rows.length = 0;
      for (let j = 0; j < count; j++) rows.push(row(chosen[j]!));
      rowMedian.median(rows, binLo, binHi, out);
    },
  };
}

/** Band index (0..bands-1) of every bin, -1 above maxHz; bands are equally spaced on the mel scale. */
function bandIndexPerBin(options: RepetSimOptions): Int16Array {
  const { bins, sampleRate, fftSize, bands, maxHz } = options;
  const mel = (hz: number): number => 2595 * Math.log10(1 + hz / 700);
  const top = mel(Math.min(maxHz, sampleRate / 2));
  const index = new Int16Array(bins);
  for (let k = 0; k < bins; k++) {
    const m = mel((k * sampleRate) / fftSize);
    index[k] = m >= top ? -1 : Math.min(bands - 1, Math.floor((m / top) * bands));
  }
  return index;
}
