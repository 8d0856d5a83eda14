import { ImkError } from '@imk/errors';

/** Bump when a change alters the builtin engine's output: it is part of the stem cache key. */
export const BUILTIN_VERSION = '1.8.0';

/**
 * Parameters of the builtin weight-free separator. Times are in seconds and frequencies in Hz so that they
 * mean the same at any sample rate; lengths of median filters are in STFT frames or bins (odd numbers).
 */
export interface BuiltinParams {
  /** STFT frame length in samples (a multiple of 32 with no prime factor above 5). @default 4096 */
  fftSize: number;
  /** STFT hop in samples; must divide fftSize. @default 1024 */
  hop: number;
  /** HPSS: median across time (frames, odd) that estimates the harmonic part. @default 17 */
  harmonicMedian: number;
  /** HPSS: median across frequency (bins, odd) that estimates the percussive part. @default 13 */
  percussiveMedian: number;
  /** Exponent of the soft HPSS masks, H^p / (H^p + P^p); 2 is the Wiener-like mask. @default 2 */
  maskPower: number;
  /** REPET-SIM: frames are compared with frames up to this far before and after them (exactly; the whole-song index adds the rest). @default 6 */
  repetWindowSec: number;
  /** REPET-SIM: how many of the most similar frames the repeating background is the median of. @default 60 */
  repetNeighbours: number;
  /** REPET-SIM: chosen frames are at least this far apart (so one held note does not fill the set). @default 0.75 */
  repetMinSpacingSec: number;
  /**
   * REPET-SIM, short songs: with the whole-song index, the spacing shrinks to (song length) / this, when
   * that is less than `repetMinSpacingSec`, so that a short excerpt still has this many frames to choose
   * from (at 0.75 s a 7-second excerpt would have only 9). 0 keeps the spacing whatever the length. @default 14
   */
  repetMinChoices: number;
  /** REPET-SIM: frames less similar than this (cosine, 0..1) are never chosen. @default 0 */
  repetMinSimilarity: number;
  /** REPET-SIM: number of mel-spaced bands the similarity is computed on. @default 128 */
  repetBands: number;
  /** REPET-SIM: highest frequency the similarity looks at. @default 11000 */
  repetMaxHz: number;
  /**
   * REPET-SIM over the whole song: a first pass indexes every frame (similarity feature and 8-bit
   * vocal-band magnitudes, about 1.7 kB a frame), so frames outside the window can be chosen too. The
   * index holds at most this many seconds of frames; a longer song keeps every 2nd (4th…) frame, so
   * memory stays bounded. 0 disables the first pass (the window alone). @default 600
   */
  repetIndexMaxSec: number;
  /** REPET-SIM over the whole song: at most this many frames outside the window are compared per frame. @default 256 */
  repetGlobalCandidates: number;
  /** Exponent on the non-repeating fraction when it becomes the vocal mask. @default 1.5 */
  vocalRepetExponent: number;
  /** Vocals: nothing below this frequency is vocal (kick and bass live there). @default 200 */
  vocalLowCutHz: number;
  /** Vocals: width of the ramp above vocalLowCutHz from "not vocal" to "maybe vocal". @default 0 */
  vocalLowRampHz: number;
  /** Vocals: nothing above this frequency is vocal (cymbals, hiss). @default 12000 */
  vocalHighCutHz: number;
  /**
   * Vocals: exponent of the stereo centre cue (per-bin left/right correlation, 1 for a centred source);
   * 0 disables it. @default 1
   */
  centreExponent: number;
  /**
   * Vocals: width of the stereo centre cue in pan units, pan = (|R|² − |L|²)/(|L|² + |R|²): the cue is
   * max(0, coherence)·√(1 − min(1, |pan|/width)²); 1 is 2·Re(L·R*)/(|L|² + |R|²), smaller is narrower. @default 0.5
   */
  azimuthWidth: number;
  /**
   * Vocals: exponent of the two-pass HPSS cue, the harmonic fraction of a second, short-median HPSS run on
   * the percussive part of the first (vocals are harmonic at short time scales, drums are not); 0 disables
   * it. @default 0
   */
  vocalHarmonicExponent: number;
  /** Second HPSS pass: median across time (frames, odd). @default 5 */
  secondHarmonicMedian: number;
  /** Second HPSS pass: median across frequency (bins, odd). @default 17 */
  secondPercussiveMedian: number;
  /**
   * Vocals: how much of the vocal estimate survives where the stereo centre cue says "not centred":
   * vocal *= centreFloor + (1 − centreFloor)·centre^γ, so an off-centre voice is weakened, not erased.
   * 0 is the plain product; 1 turns the cue off (the Wiener post-filter places the voice instead). @default 1
   */
  centreFloor: number;
  /**
   * Vocals: Wiener-style sharpening of the vocal mask m against the rest: m^p / (m^p + (1 − m)^p);
   * 1 leaves it as it is, above 1 pushes bins towards all-vocal or no-vocal, below 1 softens. @default 1
   */
  vocalMaskPower: number;
  /**
   * Stereo input: time constant (seconds) of the multichannel Wiener post-filter's spatial averages
   * (spatial-wiener.ts): the vocals become W·x, a 2×2 filter per bin built from where in the stereo field
   * the vocals and the accompaniment have been, instead of the mask times x. 0 disables it. @default 30
   */
  spatialWienerSec: number;
  /** Wiener post-filter: exponent on the vocal mask for the sources' powers (v_v ∝ m^q, v_a ∝ (1 − m)^q). @default 1 */
  spatialWienerPower: number;
  /** Wiener post-filter: weight of the prior (vocals centred, accompaniment where the mixture is), in seconds of frames. @default 1 */
  spatialWienerPriorSec: number;
  /**
   * Vocals: the vocal mask is averaged over ±this many bins (inside the vocal band) before it is used: a
   * single bin's repetition estimate is noisy, and its neighbours agree on where the voice is. 0 turns it
   * off. @default 1
   */
  vocalMaskSmoothBins: number;
  /**
   * Vocals: how much of the vocal mask is the soft fusion of the cues (vocal-fusion.ts: a logistic function
   * of the REPET-SIM foreground, harmonicity and the bin's level, weights fitted on General MIDI and
   * procedural songs drawn for fitting only) rather than the product of powers above: 0 is the product
   * alone, 1 the fusion alone, and in between a blend of the two. vocalMaskSmoothBins is also the fusion's
   * neighbourhood. @default 0.75
   */
  vocalFusion: number;
  /** Bass: the harmonic accompaniment below this frequency is bass. @default 200 */
  bassCutoffHz: number;
  /** Bass: width of the crossover ramp centred on bassCutoffHz. @default 0 */
  bassRampHz: number;
}

export const DEFAULT_BUILTIN_PARAMS: Readonly<BuiltinParams> = Object.freeze({
  fftSize: 4096,
  hop: 1024,
  harmonicMedian: 17,
  percussiveMedian: 13,
  maskPower: 2,
  repetWindowSec: 6,
  repetNeighbours: 60,
  repetMinSpacingSec: 0.75,
  repetMinChoices: 14,
  repetMinSimilarity: 0,
  repetBands: 128,
  repetMaxHz: 11000,
  repetIndexMaxSec: 600,
  repetGlobalCandidates: 256,
  vocalRepetExponent: 1.5,
  vocalLowCutHz: 200,
  vocalLowRampHz: 0,
  vocalHighCutHz: 12000,
  centreExponent: 1,
  azimuthWidth: 0.5,
  vocalHarmonicExponent: 0,
  secondHarmonicMedian: 5,
  secondPercussiveMedian: 17,
  centreFloor: 1,
  vocalMaskPower: 1,
  vocalMaskSmoothBins: 1,
  spatialWienerSec: 30,
  spatialWienerPower: 1,
  spatialWienerPriorSec: 1,
  vocalFusion: 0.75,
  bassCutoffHz: 200,
  bassRampHz: 0,
});

/** Merges overrides into the defaults and checks them; throws ImkError('INVALID_PARAMS') naming the field. */
export function resolveBuiltinParams(overrides: Partial<BuiltinParams> = {}): BuiltinParams {
  const p: BuiltinParams = { ...DEFAULT_BUILTIN_PARAMS };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_BUILTIN_PARAMS)) fail(key, 'is not a builtin engine parameter');
    if (typeof value !== 'number' || !Number.isFinite(value))
      fail(key, `must be a finite number, got ${String(value)}`);
    (p as unknown as Record<string, number>)[key] = value;
  }
  const odd = (key: keyof BuiltinParams): void => {
    if (!Number.isInteger(p[key]) || p[key] < 1 || p[key] % 2 === 0) fail(key, `must be an odd integer >= 1`);
  };
  if (!Number.isInteger(p.fftSize) || p.fftSize < 64) fail('fftSize', 'must be an integer >= 64');
  if (!Number.isInteger(p.hop) || p.hop < 1 || p.fftSize % p.hop !== 0 || p.fftSize / p.hop < 2) {
    fail('hop', `must divide fftSize (${p.fftSize}) at least twice`);
  }
  odd('harmonicMedian');
  odd('percussiveMedian');
  odd('secondHarmonicMedian');
  odd('secondPercussiveMedian');
  if (p.percussiveMedian > p.fftSize / 2 + 1) fail('percussiveMedian', 'is longer than the spectrum');
  if (!Number.isInteger(p.repetNeighbours) || p.repetNeighbours < 0)
    fail('repetNeighbours', 'must be an integer >= 0');
  if (!Number.isInteger(p.repetBands) || p.repetBands < 1) fail('repetBands', 'must be an integer >= 1');
  if (p.repetIndexMaxSec < 0 || p.repetIndexMaxSec > 3600)
    fail('repetIndexMaxSec', 'must be between 0 and 3600');
  if (
    !Number.isInteger(p.repetGlobalCandidates) ||
    p.repetGlobalCandidates < 1 ||
    p.repetGlobalCandidates > 65536
  )
    fail('repetGlobalCandidates', 'must be an integer between 1 and 65536');
  for (const key of [
    'repetWindowSec',
    'repetMinSpacingSec',
    'repetMinChoices',
    'maskPower',
    'vocalRepetExponent',
  ] as const) {
    if (p[key] < 0) fail(key, 'must be >= 0');
  }
  for (const key of ['centreExponent', 'vocalHarmonicExponent', 'vocalLowRampHz', 'bassRampHz'] as const) {
    if (p[key] < 0) fail(key, 'must be >= 0');
  }
  if (p.azimuthWidth <= 0) fail('azimuthWidth', 'must be > 0');
  if (p.centreFloor < 0 || p.centreFloor > 1) fail('centreFloor', 'must be between 0 and 1');
  if (p.vocalMaskPower <= 0) fail('vocalMaskPower', 'must be > 0');
  if (!Number.isInteger(p.vocalMaskSmoothBins) || p.vocalMaskSmoothBins < 0 || p.vocalMaskSmoothBins > 64)
    fail('vocalMaskSmoothBins', 'must be an integer between 0 and 64');
  if (p.vocalFusion < 0 || p.vocalFusion > 1) fail('vocalFusion', 'must be between 0 and 1');
  if (p.spatialWienerSec < 0) fail('spatialWienerSec', 'must be >= 0');
  if (p.spatialWienerPower <= 0) fail('spatialWienerPower', 'must be > 0');
  if (p.spatialWienerPriorSec < 0) fail('spatialWienerPriorSec', 'must be >= 0');
  return p;
}

function fail(key: string, message: string): never {
  throw new ImkError('INVALID_PARAMS', `builtin engine parameter ${key} ${message}`);
}
