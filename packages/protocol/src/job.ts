import { z } from 'zod';
import { LOSSY_SAMPLE_RATES } from './format-limits.ts';
import {
  AudioFormatSchema,
  BundlePathSchema,
  JobIdSchema,
  LegacyPathSchema,
  ProducerSchema,
  SAMPLE_RATE_RANGE,
  SampleRateSchema,
  STEM_LEVEL_RANGE,
  Sha256Schema,
  StemLevelSchema,
  StemNameSchema,
  ValidationSchema,
  YoutubeInfoSchema,
  bundlePathProblem,
} from './common.ts';
import { PITCH_LIMITS, TEMPO_LIMITS, VARIANT_REQUEST_PATTERN, readVariantRef } from './variant-ref.ts';

/** A bundle's job document, in its folder (the file a rejection's reason names with the field). */
export const JOB_FILE = 'job.json';

/** options.priority: its range, and what a job without one counts as (the queue orders by it). */
export const JOB_PRIORITY = { min: -100, max: 100, default: 0 } as const;

const VARIANT_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * A variant recipe's name, in config and in a job's `options.variants`: it becomes part of file names, so
 * lower-case letters, digits, `_` and `-` only.
 */
export const VariantNameSchema = z
  .string()
  .regex(
    VARIANT_NAME,
    'expected a name such as "instrumental", "no_drums" or "no-vocals" (a-z, 0-9, "_" and "-", at most 64)',
  );

/**
 * A variant asked for by a job: a recipe name (as VariantNameSchema), optionally transposed (`@-2`,
 * semitones) and/or stretched (`@0.8x`, pitch kept), read by the one grammar (readVariantRef) the worker's
 * config, sidecars and `imk separate` use: `@.8x` is `@0.8x`, and `@10x` is said to be out of range.
 */
export const VariantRequestSchema = z
  .string()
  .superRefine((value, ctx) => {
    const [name = ''] = value.split('@', 1);
    if (!VARIANT_NAME.test(name))
      ctx.addIssue({
        code: 'custom',
        message: `variant "${value}": expected a name such as "instrumental", "no_drums" or "no-vocals" (a-z, 0-9, "_" and "-", at most 64), optionally with @-2 (semitones) and/or @0.8x (tempo)`,
      });
    else {
      const read = readVariantRef(value);
      if ('problem' in read) ctx.addIssue({ code: 'custom', message: `variant "${value}": ${read.problem}` });
    }
  })
  // For producers that check job.json against docs/schemas: the grammar's form (its ranges are checked here).
  .meta({ pattern: VARIANT_REQUEST_PATTERN });

/** Per-job processing options; every field is optional and config supplies the defaults. */
export const JobOptionsSchema = z
  .looseObject({
    variants: z
      .array(VariantRequestSchema)
      .optional()
      .describe(
        'Variant recipes to produce, by name (default from config: instrumental, no_drums, drums_only; also vocals), e.g. "instrumental@-2" two semitones down or "no_drums@0.8x" at 80 % tempo.',
      ),
    pitch: z
      .number()
      .min(PITCH_LIMITS.min)
      .max(PITCH_LIMITS.max)
      .optional()
      .describe(
        `Transpose every variant by this many semitones (${PITCH_LIMITS.min} to +${PITCH_LIMITS.max}); a variant's own @-2 wins.`,
      ),
    tempo: z
      .number()
      .min(TEMPO_LIMITS.min)
      .max(TEMPO_LIMITS.max)
      .optional()
      .describe(
        `Speed factor of every variant (${TEMPO_LIMITS.min} to ${TEMPO_LIMITS.max.toFixed(1)}, pitch kept); a variant's own @0.8x wins.`,
      ),
    keep_stems: z
      .union([z.boolean(), z.array(StemNameSchema)])
      .optional()
      .describe('Keep stem files: true for all four, or a list of stem names.'),
    output_format: AudioFormatSchema.optional().describe('Audio format of the variants (default m4a).'),
    engine: z.string().optional().describe('Separation engine name, e.g. "builtin" or "demucs".'),
    engine_params: z.record(z.string(), z.unknown()).optional().describe('Engine-specific parameters.'),
    target_lufs: z.number().min(-30).max(-5).optional().describe('Loudness target in LUFS (-30 to -5).'),
    true_peak: z.number().min(-6).max(0).optional().describe('True-peak ceiling in dBTP (-6 to 0).'),
    two_pass_loudness: z.boolean().optional().describe('Measure first, then normalise (two-pass loudnorm).'),
    sample_rate: SampleRateSchema.optional().describe(
      `Output sample rate in Hz (${SAMPLE_RATE_RANGE.min} to ${SAMPLE_RATE_RANGE.max} for flac and wav; m4a takes ${LOSSY_SAMPLE_RATES.m4a.join(', ')}, mp3 ${LOSSY_SAMPLE_RATES.mp3.join(', ')}: another fails the job before any work). Unset, the input's rate is not kept: the files are 44.1 kHz (44100), the rate separation works at, unless the config's output.sampleRate is set.`,
    ),
    bit_depth: z
      .union([z.literal(16), z.literal(24), z.literal(32)])
      .optional()
      .describe(
        'Bit depth for flac (16, 24) and wav (16, 24, 32 = float) output; flac with 32 fails the job before any work. Ignored for m4a and mp3.',
      ),
    priority: z
      .number()
      .int()
      .min(JOB_PRIORITY.min)
      .max(JOB_PRIORITY.max)
      .optional()
      .describe(
        `Higher runs first; FIFO by publish time within one priority (default ${JOB_PRIORITY.default}).`,
      ),
    duplicates: z
      .enum(['skip', 'process'])
      .optional()
      .describe(
        'When a succeeded job had the same input and outputs: "skip" links its files, "process" separates again (default from config: duplicates).',
      ),
  })
  .describe('Per-job options.');
export type JobOptions = z.infer<typeof JobOptionsSchema>;

/**
 * The keys of a job's `options` this version does not know: kept by the schema (a newer producer's option
 * passes through), used by nobody. A misspelt option (`output_fromat`) or one only a newer imk reads: the
 * worker says so in the manifest's warnings, as it does of a sidecar's unknown keys.
 */
export function unknownJobOptions(options: Record<string, unknown> | undefined): string[] {
  return Object.keys(options ?? {}).filter((key) => !Object.hasOwn(JobOptionsSchema.shape, key));
}

export const JobFileSchema = z.looseObject({
  path: BundlePathSchema,
  sha256: Sha256Schema,
  bytes: z.number().int().nonnegative().describe('Size in bytes.'),
});
export type JobFile = z.infer<typeof JobFileSchema>;

/** One entry of a legacy Deezer bundle's `tracks[]`: the tags of one file of `audio_files`. */
export const TrackSchema = z.looseObject({
  title: z.string().nullable().optional().describe('Title tag.'),
  artist: z.string().nullable().optional().describe('Artist tag.'),
  album: z.string().nullable().optional().describe('Album tag.'),
  duration_sec: z.number().nullable().optional().describe('Length the source reported, in seconds.'),
  filename: z.string().nullable().optional().describe('The audio_files entry these tags belong to.'),
});
export type Track = z.infer<typeof TrackSchema>;

/** Why a mix whose every stem is at level 0 (or names none) is refused: it would be silence. */
const AUDIBLE_MIX_MESSAGE =
  'every stem is at level 0 or not named, so the mix would be silent: give at least one stem a level above 0 (unmute it, or raise its or the master level)';

/**
 * The `source_type` of a remix job (a mix saved from the page's mixer, or a mix of an earlier-version
 * output written as a job of its own): the dashboard writes it, the worker's manifests carry it.
 */
export const REMIX_SOURCE_TYPE = 'remix';

/**
 * A mix of an earlier job's stems, saved from the page's mixer: the worker reads the stems from its stem
 * cache (no new separation) and adds the variant to that job's outputs, under a new manifest.
 */
export const RemixSchema = z
  .looseObject({
    of: JobIdSchema.describe('The job whose cached stems are mixed; the variant joins its outputs.'),
    variant: z
      .string()
      .regex(
        /^[a-z][a-z0-9_]{0,63}$/,
        'expected a name such as "my_mix": a letter a-z, then letters a-z, digits and "_", at most 64 in all',
      )
      .describe('Name of the new variant (the file is "Artist - Title (<name>).<format>").'),
    stems: z
      .partialRecord(StemNameSchema, StemLevelSchema)
      // A mix of silent stems is silence: say so before anything is queued or mixed.
      .refine((stems) => Object.values(stems).some((level) => level > 0), {
        message: AUDIBLE_MIX_MESSAGE,
      })
      .describe(
        `Level of each stem (${STEM_LEVEL_RANGE.min} to ${STEM_LEVEL_RANGE.max}, at least one above ${STEM_LEVEL_RANGE.min}; 1 = as separated; a stem not named is silent).`,
      ),
    pitch: z
      .number()
      .min(PITCH_LIMITS.min)
      .max(PITCH_LIMITS.max)
      .optional()
      .describe('Semitones to transpose by, after the mix.'),
    tempo: z
      .number()
      .min(TEMPO_LIMITS.min)
      .max(TEMPO_LIMITS.max)
      .optional()
      .describe('Speed factor (pitch kept), after the mix.'),
    label: z.string().min(1).max(200).optional().describe('Human text for the variant.'),
  })
  .describe(`Remix jobs (source_type "${REMIX_SOURCE_TYPE}"): what to mix from which job.`);
export type Remix = z.infer<typeof RemixSchema>;

/**
 * `job.json`: a superset of the earlier Python project's document. Unknown fields are kept
 * (new fields are added, never renamed).
 */
export const JobSchema = z
  .looseObject({
    schema_version: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('Document version; absent in legacy documents, which are still accepted.'),
    job_id: JobIdSchema,
    source_type: z.string().min(1).describe('youtube, deemix, custom, local, …'),
    artist: z.string().optional().describe('Tag. YouTube: the channel.'),
    album: z.string().optional().describe('Tag. YouTube: "YTDL".'),
    title: z.string().optional().describe('Tag. YouTube: the video title.'),
    // The earlier version's names may hold a backslash; with schema_version, "/" only (checked below).
    audio_path: LegacyPathSchema.optional(),
    video_path: LegacyPathSchema.optional(),
    cover_path: LegacyPathSchema.optional(),
    paired_audio_job: JobIdSchema.optional().describe(
      'Set on the video job of a pair fetched in mode "both": the id of the audio job of the same song, which publishes its audio variants and stems. This job then publishes its video only (the source video and the video with the instrumental as its sound), so that each file reaches the NAS once. An earlier-version bundle with video_path and no audio_path is read so too.',
    ),
    // The earlier version's producers wrote null for these when they had nothing to say.
    youtube: YoutubeInfoSchema.nullable().optional(),
    validation: ValidationSchema.nullable().optional(),
    audio_files: z
      .array(LegacyPathSchema)
      .optional()
      .describe(
        'Legacy (its Deezer retriever): audio file names under files/, one song each; used when audio_path is absent.',
      ),
    tracks: z
      .array(TrackSchema)
      .optional()
      .describe('Legacy (its Deezer retriever): tags of each file in audio_files, matched by filename.'),
    created_at: z.iso.datetime({ offset: true }).optional().describe('When the bundle was made (ISO 8601).'),
    producer: ProducerSchema.optional(),
    files: z
      .array(JobFileSchema)
      .optional()
      .describe('sha256 and size of files in the bundle, verified on claim.'),
    options: JobOptionsSchema.optional(),
    remix: RemixSchema.optional(),
  })
  .superRefine((job, ctx) => {
    if (job.schema_version !== undefined) {
      const named: [(string | number)[], string | undefined][] = [
        [['audio_path'], job.audio_path],
        [['video_path'], job.video_path],
        [['cover_path'], job.cover_path],
        ...(job.audio_files ?? []).map((name, i): [(string | number)[], string] => [
          ['audio_files', i],
          name,
        ]),
      ];
      for (const [path, value] of named) {
        const problem = value === undefined ? undefined : bundlePathProblem(value);
        if (problem) ctx.addIssue({ code: 'custom', path, message: problem });
      }
    }
    if (!job.audio_path && !job.video_path && !job.audio_files?.length && job.remix === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['audio_path'],
        message: 'a job needs audio_path, video_path or audio_files (or remix)',
      });
  })
  .describe('job.json: one job bundle published into a queue folder.');
export type Job = z.infer<typeof JobSchema>;
