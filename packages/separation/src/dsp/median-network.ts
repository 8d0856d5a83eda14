// Per-bin medians of a few spectra at once, with a sorting network applied to whole rows: every
// compare-exchange is a branch-free min/max loop over the bins, which runs far faster than selecting the
// median of each bin's values separately (that was the separator's hottest loop). Values must be
// non-negative and not NaN (magnitudes are).
import { createCompareExchangeKernel } from './wasm-compare-exchange.ts';
import { key16 } from './wasm-compare-exchange16.ts';

/**
 * Comparator pairs (i < j; afterwards row i holds the minimum) of Batcher's odd-even merge sort for `n`
 * inputs, keeping only those that influence the median position(s).
 */
export function medianNetwork(n: number): Int32Array {
  let size = 1;
  while (size < n) size *= 2;
  const pairs: [number, number][] = [];
  // Batcher's odd-even merge sort, iterative form; pairs touching a padding input (index >= n, +Infinity)
  // never move anything and are dropped.
  for (let p = 1; p < size; p *= 2) {
    for (let k = p; k >= 1; k = Math.floor(k / 2)) {
      for (let j = k % p; j + k < size; j += 2 * k) {
        for (let i = 0; i < Math.min(k, size - j - k); i++) {
          const a = i + j;
          const b = i + j + k;
          if (Math.floor(a / (2 * p)) === Math.floor(b / (2 * p)) && b < n) pairs.push([a, b]);
        }
      }
    }
  }
  const needed = new Set<number>(n % 2 === 1 ? [n >> 1] : [(n >> 1) - 1, n >> 1]);
  const kept: [number, number][] = [];
  for (let c = pairs.length - 1; c >= 0; c--) {
    const [a, b] = pairs[c]!;
    if (needed.has(a) || needed.has(b)) {
      kept.push([a, b]);
      needed.add(a);
      needed.add(b);
    }
  }
  kept.reverse();
  return Int32Array.from(kept.flat());
}

/**
 * Per-bin median across up to `maxRows` rows of `bins` non-negative floats (e.g. magnitude spectra): fill
 * rows 0..n-1 through row(r), then compute(n, ...). Each bin's median comes out of a median-selection
 * network applied to whole rows at once, so there are no per-bin sorts and no data-dependent branches.
 */
export interface RowMedian {
  /** Scratch row r (at least `bins` floats). compute() reorders the rows' contents. */
  row(r: number): Float32Array;
  /** out[k] = median of row(0..n-1)[k] for k in [from, to); the mean of the middle two when n is even. */
  compute(n: number, from: number, to: number, out: Float32Array): void;
  /**
   * Orders bins [from, to) of rows 0..n-1 far enough that each bin's middle value(s) sit in the returned
   * rows (the same row twice when n is odd), for a caller that combines them itself (n ≥ 1).
   */
  middles(n: number, from: number, to: number): { lower: Float32Array; upper: Float32Array };
  /** Copies `rows` into the scratch rows and computes their median. */
  median(rows: readonly Float32Array[], from: number, to: number, out: Float32Array): void;
}

/**
 * Uses the WebAssembly SIMD compare-exchange kernel when the runtime has it (four bins per instruction),
 * else integer min/max in JavaScript. Both give identical results. With `coarseAbove`, the median of more
 * rows than that (compute() and median(); middles() stays exact) is taken on 16-bit keys, each float
 * rounded to its upper 16 bits (a bfloat16, within a relative 2⁻⁸): the same network at eight bins per
 * instruction over half the bytes, for a median of many rows at about the cost of one of 60% as many.
 */
export function createRowMedian(
  maxRows: number,
  bins: number,
  useSimd = true,
  coarseAbove = Infinity,
): RowMedian {
  const networks = Array.from({ length: maxRows + 1 }, (_, n) => medianNetwork(n));
  const kernel = useSimd ? createCompareExchangeKernel() : undefined;
  // Values per row: a whole number of 16-byte vectors of floats and of 16-bit keys alike.
  const stride = Math.ceil(bins / 8) * 8;
  const coarse = coarseAbove < maxRows;
  const keyBase = maxRows * stride * 4; // bytes: the key rows follow the float rows
  let floats: Float32Array;
  let ints: Int32Array | undefined;
  let keys: Uint16Array | undefined;
  if (kernel !== undefined) {
    const bytes = keyBase + (coarse ? maxRows * stride * 2 : 0);
    const pages = Math.ceil(bytes / 65536) - kernel.memory.buffer.byteLength / 65536;
    if (pages > 0) kernel.memory.grow(pages);
    // Views are made after the only growth: growing would detach them. Each instance has its own memory.
    floats = new Float32Array(kernel.memory.buffer, 0, maxRows * stride);
    if (coarse) keys = new Uint16Array(kernel.memory.buffer, keyBase, maxRows * stride);
  } else {
    floats = new Float32Array(maxRows * stride);
    // Non-negative float32 values order exactly like their bit patterns read as int32, and integer min/max
    // can be computed without branches; with branches, random spectra mispredicted about every other
    // compare and the network ran 4x slower.
    ints = new Int32Array(floats.buffer);
  }
  const rows = Array.from({ length: maxRows }, (_, r) => floats.subarray(r * stride, (r + 1) * stride));

  const runNetwork = (n: number, from: number, to: number): void => {
    const network = networks[n]!;
    if (kernel !== undefined) {
      const start = from & ~3;
      const bytes = (Math.ceil(to / 4) * 4 - start) * 4;
      for (let c = 0; c < network.length; c += 2) {
        kernel.cmpx((network[c]! * stride + start) * 4, (network[c + 1]! * stride + start) * 4, bytes);
      }
      return;
    }
    const v = ints!;
    for (let c = 0; c < network.length; c += 2) {
      const lo = network[c]! * stride;
      const hi = network[c + 1]! * stride;
      for (let k = from; k < to; k++) {
        const a = v[lo + k]!;
        const b = v[hi + k]!;
        const d = a - b; // no overflow: both are in [0, 2^31)
        const m = d & (d >> 31); // d when a < b, else 0
        v[lo + k] = b + m;
        v[hi + k] = a - m;
      }
    }
  };

  // The coarse median's middle value(s) as floats in out[from, to) and scratch[from, to).
  const scratch = new Float32Array(stride);
  const scratchBits = new Uint32Array(scratch.buffer);
  const runCoarse = (n: number, from: number, to: number, out: Float32Array): void => {
    const upper = n >> 1;
    const lower = n % 2 === 1 ? upper : upper - 1;
    if (kernel !== undefined) {
      const k16 = keys!;
      const start = from & ~7;
      const bytes = (Math.ceil(to / 8) * 8 - start) * 2;
      for (let r = 0; r < n; r++)
        kernel.pack16((r * stride + start) * 4, keyBase + (r * stride + start) * 2, bytes);
      const network = networks[n]!;
      for (let c = 0; c < network.length; c += 2) {
        const a = keyBase + (network[c]! * stride + start) * 2;
        kernel.cmpx16(a, keyBase + (network[c + 1]! * stride + start) * 2, bytes);
      }
      const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
      for (let k = from; k < to; k++) bits[k] = k16[upper * stride + k]! << 16;
      for (let k = from; k < to; k++) scratchBits[k] = k16[lower * stride + k]! << 16;
      return;
    }
    // The same keys, kept in the upper half of each int: the same order, and the int network works as is.
    const v = ints!;
    for (let r = 0; r < n; r++) {
      for (let k = r * stride + from, end = r * stride + to; k < end; k++) v[k] = key16(v[k]!) << 16;
    }
    runNetwork(n, from, to);
    out.set(rows[upper]!.subarray(from, to), from);
    scratch.set(rows[lower]!.subarray(from, to), from);
  };

  const compute = (n: number, from: number, to: number, out: Float32Array): void => {
    if (n > maxRows) throw new RangeError(`median of ${n} rows, at most ${maxRows} configured`);
    if (n === 0 || to <= from) {
      out.fill(0, from, to);
      return;
    }
    if (n > coarseAbove) {
      runCoarse(n, from, to, out);
      if (n % 2 === 0) for (let k = from; k < to; k++) out[k] = (scratch[k]! + out[k]!) / 2;
      return;
    }
    runNetwork(n, from, to);
    const upper = rows[n >> 1]!;
    if (n % 2 === 1) out.set(upper.subarray(from, to), from);
    else {
      const lower = rows[(n >> 1) - 1]!;
      for (let k = from; k < to; k++) out[k] = (lower[k]! + upper[k]!) / 2;
    }
  };

  return {
    row: (r) => rows[r]!,
    compute,
    middles(n, from, to) {
      if (n < 1 || n > maxRows) throw new RangeError(`middles of ${n} rows, 1 to ${maxRows} configured`);
      runNetwork(n, from, to);
      return { lower: rows[(n - 1) >> 1]!, upper: rows[n >> 1]! };
    },
    median(source, from, to, out) {
      for (let r = 0; r < source.length && r < maxRows; r++)
        rows[r]!.set(source[r]!.subarray(from, to), from);
      compute(source.length, from, to, out);
    },
  };
}
