import { z } from 'zod';
import { ImkError, oneIssuePerField } from '@imk/errors';
import '../errors.ts';

/** Bump when a change alters the builtin engine's output: it is part of the stem cache key. */
export const BUILTIN_VERSION = '1.13.0';

// Each check says what is wrong in the words the error shows ("builtin engine parameter X <message>").
const finite = () => z.number({ error: (issue) => `must be a finite number, got ${String(issue.input)}` });
const atLeastZero = () => finite().min(0, { error: 'must be >= 0' });
const aboveZero = () => finite().positive({ error: 'must be > 0' });
const between = (min: number, max: number) => {
  const error = `must be between ${min} and ${max}`;
  return finite().min(min, { error }).max(max, { error });
};
const integer = (min: number, max?: number) => {
  const error =
    max === undefined ? `must be an integer >= ${min}` : `must be an integer between ${min} and ${max}`;
  const n = finite().int({ error }).min(min, { error });
  return max === undefined ? n : n.max(max, { error });
};
const odd = () =>
  finite()
    .int({ error: 'must be an odd integer >= 1' })
    .min(1, { error: 'must be an odd integer >= 1' })
    .refine((n) => n % 2 === 1, { error: 'must be an odd integer >= 1' });

/**
 * Parameters of the builtin weight-free separator, each with its default and its check (the one home of
 * both; docs/separation.md's table is generated from it). Times are in seconds and frequencies in Hz so that
 * they mean the same at any sample rate; lengths of median filters are in STFT frames or bins (odd numbers).
 * The order is the order of the resolved object (the engine's `params`).
 */
export const BuiltinParamsSchema = z
  .strictObject({
    fftSize: integer(64)
      .default(4096)
      .describe('STFT frame length in samples (a multiple of 32 with no prime factor above 5).'),
    // Checked with fftSize below, so that the message can say which fftSize it must divide.
    hop: finite().default(1024).describe('STFT hop in samples; must divide fftSize at least twice.'),
    harmonicMedian: odd()
      .default(17)
      .describe('HPSS: median across time (frames, odd) that estimates the harmonic part.'),
    percussiveMedian: odd()
      .default(13)
      .describe(
        'HPSS: median across frequency (bins, odd, at most fftSize / 2 + 1) that estimates the percussive part.',
      ),
    maskPower: atLeastZero()
      .default(2)
      .describe('Exponent of the soft HPSS masks, H^p / (H^p + P^p); 2 is the Wiener-like mask.'),
    repetWindowSec: atLeastZero()
      .default(6)
      .describe(
        'REPET-SIM: frames are compared with frames up to this far before and after them (exactly; the whole-song index adds the rest).',
      ),
    repetNeighbours: integer(0)
      .default(100)
      .describe('REPET-SIM: how many of the most similar frames the repeating background is the median of.'),
    repetMinSpacingSec: atLeastZero()
      .default(0.75)
      .describe(
        'REPET-SIM: chosen frames are at least this far apart (so one held note does not fill the set).',
      ),
    repetMinChoices: atLeastZero()
      .default(14)
      .describe(
        'REPET-SIM, short songs: with the whole-song index, the spacing shrinks to (song length) / this, when that is less than `repetMinSpacingSec`, so that a short excerpt still has this many frames to choose from (at 0.75 s a 7-second excerpt would have only 9). 0 keeps the spacing whatever the length.',
      ),
    repetMinSimilarity: finite()
      .default(0)
      .describe('REPET-SIM: frames less similar than this (cosine, 0..1) are never chosen.'),
    repetBands: integer(1)
      .default(128)
      .describe('REPET-SIM: number of mel-spaced bands the similarity is computed on.'),
    repetMaxHz: finite().default(11000).describe('REPET-SIM: highest frequency the similarity looks at.'),
    repetIndexMaxSec: between(0, 3600)
      .default(600)
      .describe(
        'REPET-SIM over the whole song: a first pass indexes every frame (similarity feature and 8-bit vocal-band magnitudes, about 1.7 kB a frame), so frames outside the window can be chosen too. The index holds at most this many seconds of frames; a longer song keeps every 2nd (4th…) frame, so memory stays bounded. 0 disables the first pass (the window alone).',
      ),
    repetGlobalCandidates: integer(1, 65536)
      .default(256)
      .describe(
        'REPET-SIM over the whole song: at most this many frames outside the window are compared per frame (more on a long song: `repetGlobalStepSec`).',
      ),
    repetGlobalStepSec: atLeastZero()
      .default(0.0928)
      .describe(
        'REPET-SIM over the whole song, long songs: the frames outside the window that are compared are at most this far apart, so a longer song gets more of them than `repetGlobalCandidates`, up to `repetGlobalCandidatesMax` (a repeat is missed by at most half this). 0: `repetGlobalCandidates` whatever the length.',
      ),
    repetGlobalCandidatesMax: integer(1, 65536)
      .default(768)
      .describe('REPET-SIM over the whole song: the most frames outside the window compared per frame.'),
    repetVocalWeight: between(0, 1)
      .default(0.35)
      .describe(
        "REPET-SIM over the whole song, long songs: the similarity's mel bands from 250 Hz to 4 kHz, where a voice sits, are weighted by this before the cosine, so that a chorus sung alike again is not chosen for the voice it shares (which would carry the voice into the background) more than a passage of the same music under another line. Only on a song of at least `repetVocalWeightMinSec`, with the whole-song index, and only in full on a song with a fair share outside those bands (a bass, a kick, cymbals): on one whose frames have a median share below 0.06 below 200 Hz and from 5 kHz up, the weight slides to 1 (none) at 0.02, so that an arrangement lying wholly in those bands keeps the plain similarity and its exact repeats are found. 1 weighs every band alike (docs/separation-tuning.md, 1.12.0 and 1.13.0).",
      ),
    repetVocalWeightMinSec: atLeastZero()
      .default(28)
      .describe('REPET-SIM: the shortest song `repetVocalWeight` applies to, in seconds.'),
    repetExactMedianRows: integer(0)
      .default(60)
      .describe(
        "REPET-SIM: the median of more chosen frames than this is taken on each magnitude's upper 16 bits (rounded, within 0.4 %): eight bins per SIMD instruction instead of four, about 60 % of the exact median's time at 100 rows.",
      ),
    repetFit: between(0, 1)
      .default(0.5)
      .describe(
        "REPET-SIM, the fitted background (repet-fit.ts): this share of each frame's background is a nonnegative combination of the chosen frames, each capped at `repetFitCap` × this frame's median, fitted from below to the frame in 64 mel bands, and at most the frame; the rest is the median. 0 is the median alone. Not used on a song short enough for `repetMinChoices` to shrink the spacing (its chosen frames share this frame's voice note).",
      ),
    repetFitCap: aboveZero()
      .default(2)
      .describe(
        "REPET-SIM, fitted background: each chosen frame enters the fit capped at this many times the frame's median background, so that another frame's voice note cannot.",
      ),
    repetFitForeground: atLeastZero()
      .default(2)
      .describe(
        'REPET-SIM, fitted background: bands where the frame is more than this many times its median background (likely voice) are left out of the fit; 0 fits every band.',
      ),
    repetFitCandidates: integer(1, 4096)
      .default(12)
      .describe(
        'REPET-SIM, fitted background: at most this many of the chosen frames (the most similar first) enter the fit.',
      ),
    repetFitSweeps: integer(1, 64)
      .default(4)
      .describe('REPET-SIM, fitted background: sweeps of coordinate descent per frame.'),
    vocalRepetExponent: atLeastZero()
      .default(1.5)
      .describe('Exponent on the non-repeating fraction when it becomes the vocal mask.'),
    vocalLowCutHz: finite()
      .default(200)
      .describe('Vocals: nothing below this frequency is vocal (kick and bass live there).'),
    vocalLowRampHz: atLeastZero()
      .default(0)
      .describe('Vocals: width of the ramp above vocalLowCutHz from "not vocal" to "maybe vocal".'),
    vocalHighCutHz: finite()
      .default(12000)
      .describe('Vocals: nothing above this frequency is vocal (cymbals, hiss).'),
    centreExponent: atLeastZero()
      .default(1)
      .describe(
        'Vocals: exponent of the stereo centre cue (per-bin left/right correlation, 1 for a centred source); 0 disables it.',
      ),
    azimuthWidth: aboveZero()
      .default(0.5)
      .describe(
        'Vocals: width of the stereo centre cue in pan units, pan = (|R|² − |L|²)/(|L|² + |R|²): the cue is max(0, coherence)·√(1 − min(1, |pan|/width)²); 1 is 2·Re(L·R*)/(|L|² + |R|²), smaller is narrower.',
      ),
    vocalHarmonicExponent: atLeastZero()
      .default(0)
      .describe(
        'Vocals: exponent of the two-pass HPSS cue, the harmonic fraction of a second, short-median HPSS run on the percussive part of the first (vocals are harmonic at short time scales, drums are not); 0 disables it.',
      ),
    secondHarmonicMedian: odd().default(5).describe('Second HPSS pass: median across time (frames, odd).'),
    secondPercussiveMedian: odd()
      .default(17)
      .describe('Second HPSS pass: median across frequency (bins, odd).'),
    centreFloor: between(0, 1)
      .default(1)
      .describe(
        'Vocals: how much of the vocal estimate survives where the stereo centre cue says "not centred": vocal *= centreFloor + (1 − centreFloor)·centre^γ, so an off-centre voice is weakened, not erased. 0 is the plain product; 1 turns the cue off (the Wiener post-filter places the voice instead).',
      ),
    vocalMaskPower: aboveZero()
      .default(1)
      .describe(
        'Vocals: Wiener-style sharpening of the vocal mask m against the rest: m^p / (m^p + (1 − m)^p); 1 leaves it as it is, above 1 pushes bins towards all-vocal or no-vocal, below 1 softens.',
      ),
    vocalMaskSmoothBins: integer(0, 64)
      .default(1)
      .describe(
        "Vocals: the vocal mask is averaged over ±this many bins (inside the vocal band) before it is used: a single bin's repetition estimate is noisy, and its neighbours agree on where the voice is. 0 turns it off.",
      ),
    spatialWienerSec: atLeastZero()
      .default(30)
      .describe(
        "Stereo input: time constant (seconds) of the multichannel Wiener post-filter's spatial averages (spatial-wiener.ts): the vocals become W·x, a 2×2 filter per bin built from where in the stereo field the vocals and the accompaniment have been, instead of the mask times x. 0 disables it.",
      ),
    spatialWienerPower: aboveZero()
      .default(1)
      .describe(
        "Wiener post-filter: exponent on the vocal mask for the sources' powers (v_v ∝ m^q, v_a ∝ (1 − m)^q).",
      ),
    spatialWienerPriorSec: atLeastZero()
      .default(1)
      .describe(
        'Wiener post-filter: weight of the prior (vocals centred, accompaniment where the mixture is), in seconds of frames.',
      ),
    vocalFusion: between(0, 1)
      .default(0.75)
      .describe(
        "Vocals: how much of the vocal mask is the soft fusion of the cues (vocal-fusion.ts: a logistic function of the REPET-SIM foreground, harmonicity and the bin's level, weights fitted on General MIDI and procedural songs drawn for fitting only) rather than the product of powers above: 0 is the product alone, 1 the fusion alone, and in between a blend of the two. vocalMaskSmoothBins is also the fusion's neighbourhood.",
      ),
    bassCutoffHz: finite()
      .default(200)
      .describe('Bass: the harmonic accompaniment below this frequency is bass.'),
    bassRampHz: atLeastZero()
      .default(0)
      .describe('Bass: width of the crossover ramp centred on bassCutoffHz.'),
  })
  .superRefine((p, ctx) => {
    if (!Number.isInteger(p.hop) || p.hop < 1 || p.fftSize % p.hop !== 0 || p.fftSize / p.hop < 2)
      ctx.addIssue({
        code: 'custom',
        path: ['hop'],
        message: `must divide fftSize (${p.fftSize}) at least twice`,
      });
    else if (p.percussiveMedian > p.fftSize / 2 + 1)
      ctx.addIssue({ code: 'custom', path: ['percussiveMedian'], message: 'is longer than the spectrum' });
  })
  .describe('Parameters of the builtin engine (engine.params when engine.name is builtin).');
export type BuiltinParams = z.infer<typeof BuiltinParamsSchema>;

export const DEFAULT_BUILTIN_PARAMS: Readonly<BuiltinParams> = Object.freeze(BuiltinParamsSchema.parse({}));

/** Merges overrides into the defaults and checks them; throws ImkError('INVALID_PARAMS') naming the field. */
export function resolveBuiltinParams(overrides: Partial<BuiltinParams> = {}): BuiltinParams {
  // A key set to undefined is unset (the config's shortcuts merge that way), whatever its name.
  const given = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  const result = BuiltinParamsSchema.safeParse(given);
  if (result.success) return result.data;
  const issue = oneIssuePerField(result.error.issues, BuiltinParamsSchema)[0]!;
  if (issue.code === 'unrecognized_keys') fail(issue.keys[0] ?? '', 'is not a builtin engine parameter');
  fail(issue.path.map(String).join('.'), issue.message);
}

function fail(key: string, message: string): never {
  throw new ImkError('INVALID_PARAMS', `builtin engine parameter ${key} ${message}`);
}
