// Sliding medians for median-filter HPSS. Each window is kept sorted; sliding it by one removes the value
// that leaves and inserts the one that enters (a binary search and a short memmove), so a step costs
// O(log L) comparisons plus an L-float copy at worst instead of sorting the window again. For the window
// lengths HPSS uses (L <= ~41) that beats heap-based O(log L) medians in practice.

/**
 * Many independent sliding windows of the same odd length, e.g. one per frequency bin for a median across
 * time. All windows live in one Float32Array.
 */
export interface SlidingMedianBank {
  readonly count: number;
  readonly length: number;
  /** Fills window `i` with `value` repeated (edge padding at the start of a signal). */
  fill(i: number, value: number): void;
  /** Replaces one occurrence of `oldValue` in window `i` with `newValue`; returns the new median. */
  replace(i: number, oldValue: number, newValue: number): number;
  median(i: number): number;
}

export function createSlidingMedianBank(count: number, length: number): SlidingMedianBank {
  if (length < 1 || length % 2 === 0)
    throw new RangeError(`median length must be odd and >= 1, got ${length}`);
  const sorted = new Float32Array(count * length);
  const mid = length >> 1;
  return {
    count,
    length,
    fill: (i, value) => sorted.fill(value, i * length, (i + 1) * length),
    replace: (i, oldValue, newValue) => replaceSorted(sorted, i * length, length, oldValue, newValue),
    median: (i) => sorted[i * length + mid]!,
  };
}

/**
 * Replaces `oldValue` (which must be present) by `newValue` in the sorted run sorted[start .. start+length)
 * and returns the run's median. Values are float32 and compared after rounding, so a value read back from a
 * Float32Array is always found.
 */
export function replaceSorted(
  sorted: Float32Array,
  start: number,
  length: number,
  oldValue: number,
  newValue: number,
): number {
  const end = start + length;
  const oldF = Math.fround(oldValue);
  const newF = Math.fround(newValue);
  // First index holding oldF.
  let lo = start;
  let hi = end;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (sorted[m]! < oldF) lo = m + 1;
    else hi = m;
  }
  let pos = lo;
  if (newF > oldF) {
    // Shift the run (pos, target] left by one; target = last index whose value is < newF.
    while (pos + 1 < end && sorted[pos + 1]! < newF) {
      sorted[pos] = sorted[pos + 1]!;
      pos++;
    }
  } else if (newF < oldF) {
    while (pos > start && sorted[pos - 1]! > newF) {
      sorted[pos] = sorted[pos - 1]!;
      pos--;
    }
  }
  sorted[pos] = newF;
  return sorted[start + (length >> 1)]!;
}

/**
 * Median filter along one array (e.g. across the bins of one spectrum), window `length` (odd), edges padded
 * by repeating the first and last values. `scratch` must hold `length` floats.
 */
export function slidingMedianFilter(
  input: Float32Array,
  output: Float32Array,
  n: number,
  length: number,
  scratch: Float32Array,
): void {
  if (n === 0) return;
  const half = length >> 1;
  const last = n - 1;
  // Window for position 0: indices -half..half, clamped.
  for (let j = -half; j <= half; j++) scratch[j + half] = input[Math.min(Math.max(j, 0), last)]!;
  scratch.subarray(0, length).sort();
  output[0] = scratch[half]!;
  for (let i = 1; i < n; i++) {
    const leaving = input[Math.max(i - half - 1, 0)]!;
    const entering = input[Math.min(i + half, last)]!;
    output[i] = leaving === entering ? scratch[half]! : replaceSorted(scratch, 0, length, leaving, entering);
  }
}
