/** A seeded pseudo-random generator returning numbers in [0, 1). */
export type Prng = () => number;

/**
 * mulberry32: tiny, fast and good enough for synthesis; the same seed gives the same corpus on every
 * machine and Node version (Math.random is neither seedable nor stable).
 */
export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform noise in [-1, 1). */
export function noise(rng: Prng): number {
  return rng() * 2 - 1;
}

/** One element of a non-empty list. */
export function pick<T>(rng: Prng, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error('pick: empty list');
  return item;
}
