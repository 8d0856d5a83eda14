import { z } from 'zod';
import {
  BundlePathSchema,
  JobIdSchema,
  LegacyPathSchema,
  ProducerSchema,
  Sha256Schema,
  StemNameSchema,
  ValidationSchema,
  YoutubeInfoSchema,
} from './common.ts';
import { JobOptionsSchema } from './job.ts';
import { PITCH_LIMITS, TEMPO_LIMITS } from './variant-ref.ts';

export const ARTIFACT_KINDS = ['audio', 'video', 'stems'] as const;

export const LoudnessSchema = z.looseObject({
  integrated_lufs: z.number().nullable().describe('Integrated loudness, EBU R128 (null for silence).'),
  true_peak_dbtp: z.number().nullable().describe('True peak in dBTP (null for silence).'),
});

/** An artifact's `codec` when the file has no sound (a source video that came without it): nothing to play or draw. */
export const SOUNDLESS_CODEC = 'none';

export const ArtifactSchema = z
  .looseObject({
    kind: z.enum(ARTIFACT_KINDS).describe('audio, video or stems.'),
    variant: z.string().min(1).describe('instrumental, no_drums, drums_only, source, a stem name, …'),
    label: z.string().describe('Human text, e.g. "Instrumental (no drum)".'),
    path: BundlePathSchema.describe('Relative to outputs/<job_id>/, e.g. "files/audio/Artist - Title.m4a".'),
    codec: z
      .string()
      .describe('Audio codec (for video: the audio codec; "none" for a video without sound), e.g. "aac".'),
    container: z.string().describe('Container, e.g. "m4a", "mp4", "flac".'),
    duration_sec: z.number().nonnegative().describe('Length in seconds.'),
    sha256: Sha256Schema,
    bytes: z.number().int().nonnegative().describe('Size in bytes.'),
    sample_rate: z.number().int().positive().optional().describe('Audio sample rate in Hz.'),
    channels: z.number().int().positive().optional().describe('Audio channels.'),
    loudness: LoudnessSchema.optional().describe('Measured loudness (EBU R128).'),
    streams: z
      .array(z.string())
      .optional()
      .describe('For multi-stream files (.stem.mp4): what each stream holds.'),
    stem_gains: z
      .partialRecord(StemNameSchema, z.number().nonnegative())
      .optional()
      .describe("A mix (e.g. saved from the page's mixer): the level of each stem, 1 = as separated."),
    pitch: z
      .number()
      .min(PITCH_LIMITS.min)
      .max(PITCH_LIMITS.max)
      .optional()
      .describe('Semitones the variant was transposed by (absent: key kept).'),
    tempo: z
      .number()
      .min(TEMPO_LIMITS.min)
      .max(TEMPO_LIMITS.max)
      .optional()
      .describe('Speed factor of the variant, pitch kept (absent: 1).'),
    gain_db: z
      .number()
      .max(0)
      .optional()
      .describe(
        "A mix whose peak would have clipped in this format: the constant gain in dB (negative) the whole file was turned down by, just enough (absent: written at its level). On kept stems and the .stem.mp4: the one gain all of the job's kept stems were turned down by, because one of them would have clipped (they still sum to the mixture at that gain).",
      ),
  })
  .describe('One output file.');
export type Artifact = z.infer<typeof ArtifactSchema>;

export const ManifestSchema = z
  .looseObject({
    schema_version: z.number().int().min(1).describe('1 for this version.'),
    job_id: JobIdSchema,
    source_type: z.string().describe('As in the job.'),
    artist: z
      .string()
      .describe(
        "As in the job (a song of audio_files: its tracks[] entry's); when job.json gives no title, the input's artist tag (names_from: tags); empty when neither has one (the inbox fills job.json's from the file's tags or name).",
      ),
    album: z.string().describe('As in the job.'),
    title: z
      .string()
      .describe(
        "As in the job (a song of audio_files: its tracks[] entry's, else its file name); when job.json gives none, the input's title tag (names_from: tags); empty when neither has one: the files are then named after the job id.",
      ),
    processed_at: z.iso.datetime({ offset: true }).describe('When processing finished (ISO 8601).'),
    artifacts: z.array(ArtifactSchema).describe('Every file the job produced.'),
    youtube: YoutubeInfoSchema.optional(),
    validation: ValidationSchema.optional(),
    stems_generated: z
      .boolean()
      .describe(
        'Variants were made from stems (false for the video half of a pair fetched in mode "both" that made no instrumental video: its sound was not separated).',
      ),
    stems_preserved: z.boolean().describe('Stem files are included.'),
    input: z
      .looseObject({
        path: z.string().optional().describe('Name of the input file in the bundle.'),
        sha256: Sha256Schema,
        bytes: z.number().int().nonnegative().optional().describe('Size in bytes.'),
        duration_sec: z.number().nonnegative().describe('Length in seconds.'),
        sample_rate: z.number().int().positive().optional().describe('Sample rate of the input in Hz.'),
        channels: z.number().int().positive().optional().describe('Channels of the input.'),
        codec: z.string().optional().describe('Codec of the input.'),
        stems_of: JobIdSchema.optional().describe(
          'A mix of the stems an earlier-version output kept (no song was separated): that job, whose outputs/<job_id>/files/stems/ the stems were read from (sha256 is theirs); a mix of this job reads them there again when no stem cache holds them.',
        ),
      })
      .describe('The audio that was separated.'),
    engine: z
      .looseObject({
        name: z.string().describe('"builtin", "demucs", …'),
        version: z.string().describe("Version of the engine's own code; the model it ran is in params."),
        params: z
          .record(z.string(), z.unknown())
          .describe(
            "Parameters that shaped the stems. mdx: model (the model's path in the root's models/ folder, as a job names it without models/, e.g. UVR/MDX_Net_Models/x.onnx; its file name for a model in models/ itself, for one configured elsewhere, and in manifests written before subfolder paths were recorded), model_hash (UVR's model hash: MD5 of the file's last 10,240,000 bytes, the key of UVR's model_data.json), model_data_hash (a model saved with its weights in external data files beside the .onnx only: the same MD5 of each of them, together; other weights beside the same .onnx are another model), n_fft, dim_f, dim_t, compensate, primary_stem, overlap, denoise. demucs: model (e.g. htdemucs), segment, shifts, extra_args.",
          ),
      })
      .describe('The separation engine and its parameters.'),
    timings_sec: z
      .record(z.string(), z.number().nonnegative())
      .describe('Seconds spent per stage: decode, separate, mix, encode, manifest, …'),
    warnings: z.array(z.string()).describe('Things a user should know, e.g. a failed duration check.'),
    producer: ProducerSchema.optional(),
    options: JobOptionsSchema.optional().describe(
      'The options in force for this job after defaults. The video half of a pair fetched in mode "both" (paired_audio_job) says what it made: variants lists the one under its picture (none without the instrumental video), keep_stems none, and output_format, sample_rate, bit_depth and the loudness options are absent (no audio file is written).',
    ),
    null_residual_db: z
      .number()
      .nullable()
      .optional()
      .describe('Mixture minus the sum of stems, in dB relative to the mixture (lower is better).'),
    duplicate_of: JobIdSchema.optional().describe(
      'Set when this job was skipped because an earlier job had the same input; names that job.',
    ),
    names_from: z
      .enum(['tags'])
      .optional()
      .describe(
        "Where artist, album and title (so the files' names and tags) came from when not from job.json: \"tags\" when job.json gave no title and the input's tags (ffprobe) did (a field job.json gave is kept). Saving a mix rewrites its job's manifest and keeps this (the names stay the job's). Absent: from job.json (for a mix of an earlier-version output, a job of its own: from that output's manifest.json, the job input.stems_of names).",
      ),
  })
  .describe('manifest.json: what a job produced, in outputs/<job_id>/.');
export type Manifest = z.infer<typeof ManifestSchema>;

/**
 * An optional fact of the earlier version's manifest (a tag, a codec, a length, a flag): `null` or a value
 * of another type (a number written as a string by a tool that edited the file, a title that is a number)
 * is read as what it says when it can be (`"5.0"` as 5, `"true"` as true, 1999 as "1999") and otherwise as
 * absent: a fact no reader needs never hides the whole job (before, one such value made the manifest
 * invalid, and the job vanished from `imk jobs`, the ledger and sync).
 */
const factString = z
  .preprocess((v) => (typeof v === 'number' && Number.isFinite(v) ? String(v) : v), z.string().nullable())
  .optional()
  .catch(undefined);
const factNumber = z
  .preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v),
    z.number().nullable(),
  )
  .optional()
  .catch(undefined);
const factBoolean = z
  .preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean().nullable())
  .optional()
  .catch(undefined);

/**
 * One artifact of the earlier version's manifest. Its `kind` and `path` are what routes and readers need:
 * validateManifest reads each artifact apart, and one whose `kind` or `path` is unusable (null, empty,
 * absolute, `..`, not text) is left out with a problem naming it, while the job and its other artifacts
 * are kept (its own sync program skipped such an artifact and sent the rest). Every other field is a fact.
 */
export const LegacyArtifactSchema = z.looseObject({
  kind: z.string().min(1),
  variant: factString,
  label: factString,
  path: LegacyPathSchema,
  codec: factString,
  container: factString,
  duration_sec: factNumber,
  sha256: factString,
});

/**
 * The earlier Python project's manifest: read, never written. It wrote `null` for every optional value it
 * lacked: `youtube`, `validation`, an artifact's `sha256` (declared, never filled), `codec`, `duration_sec`,
 * and the tags of a bundle without them. Only `job_id` and each artifact's `kind` and `path` are needed:
 * every other field is a fact (see factString), read leniently.
 */
export const LegacyManifestSchema = z.looseObject({
  // A number (or true/false) is its text, as in its job.json (legacy-job.ts): `"job_id": 1999` is "1999".
  job_id: z.preprocess(
    (v) => ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean' ? String(v) : v),
    z.string().min(1),
  ),
  source_type: factString,
  artist: factString,
  album: factString,
  title: factString,
  processed_at: factString,
  artifacts: z.array(LegacyArtifactSchema),
  youtube: YoutubeInfoSchema.nullable().optional().catch(undefined),
  validation: ValidationSchema.nullable().optional().catch(undefined),
  stems_generated: factBoolean,
  stems_preserved: factBoolean,
});
export type LegacyManifest = z.infer<typeof LegacyManifestSchema>;
