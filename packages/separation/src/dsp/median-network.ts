// Per-bin medians of a few spectra at once, with a sorting network applied to whole rows: every
// compare-exchange is a branch-free min/max loop over the bins, which runs far faster than selecting the
// median of each bin's values separately (that was the separator's hottest loop). Values must be
// non-negative and not NaN (magnitudes are).
import { createCompareExchangeKernel, type CompareExchangeKernel } from './wasm-compare-exchange.ts';

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

/** Per-bin median across up to `maxRows` rows of `bins` non-negative floats (e.g. magnitude spectra). */
export interface RowMedian {
  /** out[k] = median over rows of rows[r][k], for k in [from, to); the mean of the middle two for an even count. */
  median(rows: readonly Float32Array[], from: number, to: number, out: Float32Array): void;
}

/**
 * Uses the WebAssembly SIMD compare-exchange kernel when the runtime has it (four bins per instruction),
 * else integer min/max in JavaScript. Both give identical results.
 */
export function createRowMedian(maxRows: number, bins: number, useSimd = true): RowMedian {
  const networks = Array.from({ length: maxRows + 1 }, (_, n) => medianNetwork(n));
  const kernel = useSimd ? createCompareExchangeKernel() : undefined;
  return kernel === undefined
    ? createJsRowMedian(maxRows, bins, networks)
    : createSimdRowMedian(maxRows, bins, networks, kernel);
}

function createSimdRowMedian(
  maxRows: number,
  bins: number,
  networks: Int32Array[],
  kernel: CompareExchangeKernel,
): RowMedian {
  const stride = Math.ceil(bins / 4) * 4; // floats per row, a whole number of 16-byte vectors
  const bytesNeeded = maxRows * stride * 4;
  const pages = Math.ceil(bytesNeeded / 65536) - kernel.memory.buffer.byteLength / 65536;
  if (pages > 0) kernel.memory.grow(pages);
  const heap = new Float32Array(kernel.memory.buffer);
  return {
    median(rows, from, to, out) {
      const n = rows.length;
      if (n > maxRows) throw new RangeError(`median of ${n} rows, at most ${maxRows} configured`);
      if (n === 0 || to <= from) {
        out.fill(0, from, to);
        return;
      }
      const start = from & ~3;
      const end = Math.min(Math.ceil(to / 4) * 4, stride);
      for (let r = 0; r < n; r++) heap.set(rows[r]!.subarray(start, Math.min(end, bins)), r * stride + start);
      const network = networks[n]!;
      const bytes = (end - start) * 4;
      for (let c = 0; c < network.length; c += 2) {
        kernel.cmpx((network[c]! * stride + start) * 4, (network[c + 1]! * stride + start) * 4, bytes);
      }
      const upper = (n >> 1) * stride;
      if (n % 2 === 1) out.set(heap.subarray(upper + from, upper + to), from);
      else {
        const lower = upper - stride;
        for (let k = from; k < to; k++) out[k] = (heap[lower + k]! + heap[upper + k]!) / 2;
      }
    },
  };
}

function createJsRowMedian(maxRows: number, bins: number, networks: Int32Array[]): RowMedian {
  const floats = Array.from({ length: maxRows }, () => new Float32Array(bins));
  // Non-negative float32 values order exactly like their bit patterns read as int32, and integer min/max
  // can be computed without branches; with branches, random spectra mispredicted about every other
  // compare and the network ran 4x slower.
  const ints = floats.map((f) => new Int32Array(f.buffer));
  return {
    median(rows, from, to, out) {
      const n = rows.length;
      if (n > maxRows) throw new RangeError(`median of ${n} rows, at most ${maxRows} configured`);
      if (n === 0) {
        out.fill(0, from, to);
        return;
      }
      for (let r = 0; r < n; r++) floats[r]!.set(rows[r]!.subarray(from, to), from);
      const network = networks[n]!;
      for (let c = 0; c < network.length; c += 2) {
        const lo = ints[network[c]!]!;
        const hi = ints[network[c + 1]!]!;
        for (let k = from; k < to; k++) {
          const a = lo[k]!;
          const b = hi[k]!;
          const d = a - b; // no overflow: both are in [0, 2^31)
          const m = d & (d >> 31); // d when a < b, else 0
          lo[k] = b + m;
          hi[k] = a - m;
        }
      }
      const upper = floats[n >> 1]!;
      if (n % 2 === 1) out.set(upper.subarray(from, to), from);
      else {
        const lower = floats[(n >> 1) - 1]!;
        for (let k = from; k < to; k++) out[k] = (lower[k]! + upper[k]!) / 2;
      }
    },
  };
}
