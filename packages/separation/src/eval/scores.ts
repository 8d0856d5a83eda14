/** The stems scored: the four an engine makes, and accompaniment = drums + bass + other. */
export const EVAL_STEMS = ['vocals', 'drums', 'bass', 'other', 'accompaniment'] as const;
export type EvalStem = (typeof EVAL_STEMS)[number];

/** The methods compared in one table. */
export const EVAL_METHODS = ['engine', 'floor', 'centre_cancel', 'repet_sim'] as const;
export type EvalMethod = (typeof EVAL_METHODS)[number];

/**
 * SDR in dB per method; null when it is undefined: no whole 1-second window where the reference and the
 * estimate are both non-silent (a silent stem, or a song shorter than 1 s). `Infinity` when the estimate is
 * perfect (equal to the reference, sample for sample, in most counted windows); `evalReportJson` writes it
 * as the string "Infinity", JSON having no such number.
 */
export type MethodScores = Record<EvalMethod, number | null>;
export type StemScores = Record<EvalStem, MethodScores>;

export interface TrackScores {
  name: string;
  /** Seconds the engine took on this track (wall clock). */
  engine_seconds: number;
  stems: StemScores;
}

/** A song that could not be scored (unreadable, the wrong layout, the engine failed on it), and why. */
export interface TrackFailure {
  name: string;
  code: string;
  message: string;
}

/** `tune`: songs parameters may be chosen on; `test`: held out, the figures that are reported. */
export type EvalSplit = 'tune' | 'test';

export interface SetScores {
  id: string;
  title: string;
  split: EvalSplit;
  /** Present when the set could not be evaluated (e.g. the real excerpt is absent). */
  missing?: string;
  /** Median over tracks of each track's SDR (itself the median over 1-second windows), as museval/SiSEC report. */
  stems: StemScores | null;
  tracks: TrackScores[];
  /** Songs that could not be scored; the others are scored all the same (and the medians are over them). */
  failed: TrackFailure[];
}

export interface EvalReport {
  engine: { name: string; version: string; params: Record<string, unknown> };
  metric: string;
  sets: SetScores[];
}

export const METRIC_DESCRIPTION =
  'SDR in dB as museval v4 computes it: per 1-second window 10·log10(Σ s² / Σ (s − ŝ)²) over both channels, silent windows skipped, median over windows; then median over tracks';

/**
 * Median of the defined values (null and NaN left out; a perfect +Infinity counts, as the highest), or null
 * if there are none.
 */
export function median(values: readonly (number | null)[]): number | null {
  const defined = values.filter((v): v is number => v !== null && !Number.isNaN(v)).sort((a, b) => a - b);
  if (defined.length === 0) return null;
  const mid = defined.length >> 1;
  return defined.length % 2 === 1
    ? (defined[mid] ?? null)
    : ((defined[mid - 1] ?? 0) + (defined[mid] ?? 0)) / 2;
}

/** Per-stem, per-method median over tracks. */
export function aggregate(tracks: readonly TrackScores[]): StemScores | null {
  if (tracks.length === 0) return null;
  const entry = (stem: EvalStem) =>
    Object.fromEntries(
      EVAL_METHODS.map((method) => [method, median(tracks.map((t) => t.stems[stem][method]))]),
    ) as MethodScores;
  return Object.fromEntries(EVAL_STEMS.map((stem) => [stem, entry(stem)])) as StemScores;
}
