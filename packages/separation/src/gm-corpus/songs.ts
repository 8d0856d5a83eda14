import type { EvalSplit } from '../eval/scores.ts';
import { createPrng } from '../corpus/prng.ts';
import { GM_STYLES, type GmStyle } from './plan.ts';

export interface GmSongSpec {
  id: string;
  seed: number;
  style: GmStyle;
  /** About this long (whole bars). */
  seconds: number;
  split: EvalSplit;
  /**
   * Semitones added to the lead voice's melody, the rest of the song unchanged (same seed, same notes).
   * −12 sings it an octave lower, in a baritone's range (about A2 to F4, so the voice often goes below
   * 200 Hz), which no corpus song does: a check set for tuning (`tune-gm.ts --vocal-shift`), not a song
   * of the corpus. @default unshifted
   */
  vocalShift?: number;
}

/** Songs per style; of each style's songs, TUNE_PER_STYLE are for tuning, the rest are held out. */
export const SONGS_PER_STYLE = 5;
export const TUNE_PER_STYLE = 2;
/** Seed of the tune/test draw, fixed before any tuning was done (issue 15). */
export const GM_SPLIT_SEED = 15_2026;
const SECONDS = 24;

/**
 * The General MIDI corpus: 25 songs, 5 per style, each drawn from its seed. The split into `tune` and
 * `test` is by song, stratified by style, and drawn once from GM_SPLIT_SEED.
 */
export const GM_SONGS: readonly GmSongSpec[] = Object.freeze(
  GM_STYLES.flatMap((style, s) => {
    const rng = createPrng(GM_SPLIT_SEED + s);
    const order = Array.from({ length: SONGS_PER_STYLE }, (_, n) => n);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const tune = new Set(order.slice(0, TUNE_PER_STYLE));
    return order
      .map((_, n) => n)
      .map((n): GmSongSpec => ({
        id: `gm-${style}-${n + 1}`,
        seed: 1000 + 100 * s + n,
        style,
        seconds: SECONDS,
        split: tune.has(n) ? 'tune' : 'test',
      }));
  }),
);
