import { createRowMedian } from '../dsp/median-network.ts';
import { createStridedDots } from '../dsp/wasm-strided-dots.ts';
import { createFrameRing } from './frame-ring.ts';
import { bandFeature, bandIndexPerBin, weighFeature } from './repet-features.ts';
import type { RepetIndex } from './repet-index.ts';
import { createRepetFit, type RepetFitOptions } from './repet-fit.ts';

/**
 * REPET-SIM (Rafii & Pardo 2012) over a bounded window: each frame's repeating background is the per-bin
 * median of the frames most similar to it within ±window frames, and, given a whole-song index, from
 * anywhere in the song. Similarity is the cosine between frames
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
  /**
   * Whole-song index from a first pass: frames outside the window are candidates too (at most
   * `globalCandidates` of them per frame, evenly spread over the song), their magnitudes read from it.
   */
  index?: RepetIndex | undefined;
  globalCandidates?: number;
  /**
   * A longer song gets more candidates: enough that they are at most `globalStep` frames apart (0: never
   * more than `globalCandidates`), up to `globalCandidatesMax`.
   */
  globalStep?: number;
  globalCandidatesMax?: number;
  /** The median of more chosen frames than this is taken on 16-bit keys (median-network.ts, coarseAbove). */
  exactMedianRows?: number;
  /**
   * The fitted background (repet-fit.ts): the median blended with a nonnegative combination of the same
   * frames, cleaned of the voice by this frame's median. Undefined: the median alone.
   */
  fit?:
    (Pick<RepetFitOptions, 'blend' | 'cap' | 'foreground' | 'sweeps'> & { candidates: number }) | undefined;
}

/** Largest window (frames each side) the candidate keys can index. */
export const MAX_REPET_WINDOW = 2047;
const INDEX_SCALE = 2 ** 17;
const SIM_SCALE = 2 ** 30;

export function createRepetSim(options: RepetSimOptions): RepetSim {
  if (options.window > MAX_REPET_WINDOW) {
    throw new RangeError(`REPET-SIM window of ${options.window} frames exceeds ${MAX_REPET_WINDOW}`);
  }
  const { bins, window, neighbours, spacing, minSimilarity, bands, ringSize, index } = options;
  const globalMin = index === undefined ? 0 : Math.max(1, options.globalCandidates ?? 256);
  const globalStep = options.globalStep ?? 0;
  const globalMax =
    index === undefined || globalStep <= 0
      ? globalMin
      : Math.max(globalMin, options.globalCandidatesMax ?? globalMin);
  const bandOf = bandIndexPerBin(bins, options.sampleRate, options.fftSize, bands, options.maxHz);
  // The index's features are weighed (a long song, `repetVocalWeight`): this frame's are weighed alike.
  const bandWeights = index?.bandWeights;
  // The band features of the last ringSize frames (frame f in row f mod ringSize), in the sweep kernel's
  // memory: a frame's similarities with the window's frames before it are its dots with those rows.
  const featureDots = createStridedDots(ringSize, bands, Math.min(window, ringSize));
  const featureRows = Array.from({ length: ringSize }, (_, i) =>
    featureDots.rows.subarray(i * bands, (i + 1) * bands),
  );
  const features = { row: (frame: number): Float32Array => featureRows[frame % ringSize]! };
  const featureSims = new Float64Array(Math.min(window, ringSize) + 1);
  // sims.row(f)[d] = similarity of frames f and f - d, d in 1..window.
  const sims = createFrameRing(ringSize, window + 1);
  const span = 2 * window + 1;
  if (span + globalMax + 1 > INDEX_SCALE) throw new RangeError('too many REPET-SIM candidates');
  const keys = new Float64Array(span + globalMax + 1);
  const dots = new Float64Array(globalMax + 1);
  const chosen = new Int32Array(Math.max(neighbours, 1));
  const blocked = new Uint8Array(span);
  const marks = new Int32Array(index === undefined ? 0 : index.capacity);
  let stamp = 0;
  let reach = 0; // keys the greedy read for the previous frame
  const indexRows =
    index === undefined ? undefined : createIndexRowCache(index, bins, Math.max(neighbours, 1));
  const rows: Float32Array[] = [];
  const rowMedian = createRowMedian(Math.max(neighbours, 1), bins, true, options.exactMedianRows);
  const fit =
    options.fit === undefined || options.fit.blend === 0
      ? undefined
      : createRepetFit({
          bins,
          binHz: options.sampleRate / options.fftSize,
          blend: options.fit.blend,
          cap: options.fit.cap,
          foreground: options.fit.foreground,
          sweeps: options.fit.sweeps,
          maxCandidates: Math.max(1, Math.min(neighbours, options.fit.candidates)),
        });
  const fitRows: Float32Array[] = [];

  return {
    window,
    ingest(frame, magnitudes) {
      const feat = features.row(frame);
      const norm = bandFeature(magnitudes, bandOf, bands, feat);
      if (bandWeights !== undefined) weighFeature(feat, bandWeights);
      const sim = sims.row(frame);
      sim[0] = norm > 0 ? 1 : 0;
      const reach = Math.min(window, frame);
      // featureSims[i] = feat · features of frame (frame − reach + i), the rows in ring order (in two runs
      // when they wrap); each dot adds the bands in order, as a plain loop would, so the same to the bit.
      const first = (frame - reach) % ringSize;
      const run = Math.min(reach, ringSize - first);
      featureDots.dots(feat, first, 1, run, featureSims, 0);
      featureDots.dots(feat, 0, 1, reach - run, featureSims, run);
      for (let d = 1; d <= reach; d++) sim[d] = featureSims[reach - d]!;
    },
    background(center, lastFrame, row, binLo, binHi, out) {
      const lo = Math.max(0, center - window);
      const hi = Math.min(lastFrame, center + window);
      const base = center - window;
      const centerSims = sims.row(center);
      let n = 0;
      const key = (s: number, j: number): number => Math.round((2 - s) * SIM_SCALE) * INDEX_SCALE + j;
      for (let i = lo; i <= hi; i++) {
        const s = i <= center ? centerSims[center - i]! : sims.row(i)[i - center]!;
        // One sortable number per candidate: most similar first, ties by position (deterministic).
        keys[n++] = key(s, i - base);
      }
      if (index !== undefined && centerSims[0] !== 0) {
        // Frames of the whole song outside the window, evenly thinned to at most globalMax.
        const feat = features.row(center);
        const inside = Math.ceil((hi - lo + 1) / index.stride);
        const outside = Math.max(0, index.count - inside);
        const wanted = globalStep > 0 ? Math.ceil((outside * index.stride) / globalStep) : 0;
        const step = Math.max(1, Math.ceil(outside / Math.min(globalMax, Math.max(globalMin, wanted))));
        // Every step-th of the entries outside [lo, hi] (the entries are in frame order): entries
        // [eLo, eHi) are inside the window, and the s-th outside entry is s, or s + eHi − eLo.
        const eLo = lowerBound(index.frames, index.count, lo);
        const eHi = lowerBound(index.frames, index.count, hi + 1);
        const before = Math.ceil(eLo / step);
        const after = Math.max(0, Math.ceil((index.count - (eHi - eLo)) / step) - before);
        index.similarities(feat, 0, step, before, dots, 0);
        index.similarities(feat, before * step + eHi - eLo, step, after, dots, before);
        for (let i = 0; i < before + after; i++) {
          const e = i < before ? i * step : i * step + eHi - eLo;
          const dot = dots[i]!;
          keys[n++] = key(dot > -2 ? dot : 0, span + e); // NaN (non-finite input) counts as dissimilar
        }
      }
      // Greedy: most similar first, never two chosen frames closer than `spacing`. The frame itself
      // (similarity 1) is normally the first pick, as in REPET-SIM. The keys are put in order only as far as
      // the greedy reads them, a part at a time (the previous frame's reach and a quarter more): it mostly
      // stops at a third of them, and sorting them all took about 5 % of the engine's time.
      stamp++;
      blocked.fill(0);
      let count = 0;
      let sorted = 0;
      let r = 0;
      for (; r < n && count < neighbours; r++) {
        if (r === sorted) sorted = sortSmallest(keys, sorted, n, sorted + Math.max(32, reach + (reach >> 2)));
        const k = keys[r]!;
        const j = k - Math.floor(k / INDEX_SCALE) * INDEX_SCALE; // k % INDEX_SCALE, without a float modulo
        if (j < span ? blocked[j] !== 0 : marks[j - span] === stamp) continue;
        if (count > 0 && 2 - Math.floor(k / INDEX_SCALE) / SIM_SCALE < minSimilarity) break;
        const f = j < span ? base + j : index!.frames[j - span]!;
        chosen[count++] = j;
        // Block everything closer than `spacing` to f: window positions, and index entries.
        blocked.fill(1, Math.max(0, f - base - spacing + 1), Math.max(0, Math.min(span, f - base + spacing)));
        if (index !== undefined) {
          const frames = index.frames;
          let e = lowerBound(frames, index.count, f - spacing + 1);
          for (; e < index.count && frames[e]! < f + spacing; e++) marks[e] = stamp;
        }
      }
      reach = r;
      rows.length = 0;
      fitRows.length = 0;
      indexRows?.nextFrame();
      for (let c = 0; c < count; c++) {
        const j = chosen[c]!;
        if (j < span) {
          rows.push(row(base + j));
          if (base + j !== center) fitRows.push(rows[c]!);
        } else {
          const r = indexRows!.row(j - span);
          rows.push(r);
          fitRows.push(r);
        }
      }
      rowMedian.median(rows, binLo, binHi, out);
      fit?.apply(row(center), fitRows, fitRows.length, binLo, binHi, out);
    },
  };
}

/**
 * Dequantised rows of index entries, kept while they are used: neighbouring frames choose mostly the same
 * entries, and dequantising one is a lookup per vocal-band bin. Holds 4 × `perFrame` rows (replaced round
 * a ring, skipping those used this frame or the last); the rows handed out since the last nextFrame() are
 * never replaced, so one frame's `perFrame` rows stay valid together. The values are those of
 * index.magnitudes(), to the bit.
 */
function createIndexRowCache(index: RepetIndex, bins: number, perFrame: number) {
  const slots = 4 * perFrame;
  const rows = Array.from({ length: slots }, () => new Float32Array(bins));
  const entryOf = new Int32Array(slots).fill(-1);
  const slotOf = new Int32Array(index.count).fill(-1);
  const lastUse = new Float64Array(slots).fill(-1);
  let frame = 0;
  let hand = 0;
  return {
    nextFrame(): void {
      frame++;
    },
    row(e: number): Float32Array {
      let slot = slotOf[e]!;
      if (slot < 0) {
        // The next slot round the ring not used this frame or the last (at most 2 × perFrame of the
        // 4 × perFrame are): a clock, not the least recently used slot, whose search over every slot cost
        // as much as the dequantising with 100 chosen frames. Which slot a row sits in never changes it.
        while (lastUse[hand]! >= frame - 1) hand = hand + 1 === slots ? 0 : hand + 1;
        slot = hand;
        hand = hand + 1 === slots ? 0 : hand + 1;
        const old = entryOf[slot]!;
        if (old >= 0) slotOf[old] = -1;
        entryOf[slot] = e;
        slotOf[e] = slot;
        index.magnitudes(e, rows[slot]!);
      }
      lastUse[slot] = frame;
      return rows[slot]!;
    },
  };
}

/**
 * Puts the smallest `to - from` of keys[from, n) (distinct numbers) in order at [from, to) and returns
 * to (at most n); the rest stay in [to, n), in any order.
 */
export function sortSmallest(keys: Float64Array, from: number, n: number, to: number): number {
  const end = Math.min(to, n);
  if (end < n) {
    // Quickselect: afterwards every key in [from, end) is smaller than every key in [end, n).
    let lo = from;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const a = keys[lo]!;
      const b = keys[mid]!;
      const c = keys[hi]!;
      const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
      let i = lo;
      let j = hi;
      while (i <= j) {
        while (keys[i]! < pivot) i++;
        while (keys[j]! > pivot) j--;
        if (i <= j) {
          const t = keys[i]!;
          keys[i++] = keys[j]!;
          keys[j--] = t;
        }
      }
      if (end - 1 <= j) hi = j;
      else if (end - 1 >= i) lo = i;
      else break;
    }
  }
  keys.subarray(from, end).sort();
  return end;
}

/** First e in [0, count) with sorted[e] >= value (count when none). */
function lowerBound(sorted: Int32Array, count: number, value: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
