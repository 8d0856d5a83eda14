import { ImkError } from '@imk/errors';
import type { MediaInfo } from '@imk/media';
import {
  AUDIO_FORMATS,
  ManifestSchema,
  SAMPLE_RATE_RANGE,
  SCHEMA_VERSION,
  describeProblems,
  formatIssues,
  producerInfo,
  sampleRateProblem,
  type AudioFormat,
  type Artifact,
  type Job,
  type JobOptions,
  type Manifest,
} from '@imk/protocol';
import { SERVICE_NAME } from './config.ts';
import './errors.ts';

export type InputFacts = Manifest['input'];

export interface ManifestInput {
  job: Job;
  artifacts: Artifact[];
  input: InputFacts;
  engine: { name: string; version: string; params: Record<string, unknown> };
  options: JobOptions;
  timings: Record<string, number>;
  warnings: string[];
  stemsGenerated: boolean;
  nullResidualDb?: number | null;
  duplicateOf?: string;
  /** Identifies the outputs asked for (engine + options) so a duplicate or a resumed job can be recognised. */
  outputKey: string;
  /** `tags` when the job's names were read from the input's tags (namesFromTags), said in the manifest. */
  namesFrom?: 'tags';
  processedAt?: Date;
}

/** A finite number or null: JSON has no Infinity (a perfect null residual is -Infinity dB). */
function finiteOrNull(value: number | null | undefined): number | null | undefined {
  if (value === undefined || value === null) return value;
  return Number.isFinite(value) ? Math.round(value * 100) / 100 : null;
}

/**
 * The v1 manifest: legacy fields (job_id, source_type, artist, album, title, processed_at, artifacts,
 * youtube, validation, stems_generated, stems_preserved) plus sha256/bytes/loudness per artifact, the
 * engine, the input, per-stage timings and warnings. Validated before it is returned: the service never
 * writes a manifest its own schema would refuse.
 */
export function buildManifest(input: ManifestInput): Manifest {
  const { job } = input;
  const timings = Object.fromEntries(
    Object.entries(input.timings).map(([stage, seconds]) => [stage, Math.round(seconds * 1000) / 1000]),
  );
  const manifest: Record<string, unknown> = {
    schema_version: SCHEMA_VERSION,
    job_id: job.job_id,
    source_type: job.source_type,
    artist: job.artist ?? '',
    album: job.album ?? '',
    title: job.title ?? '',
    processed_at: (input.processedAt ?? new Date()).toISOString(),
    artifacts: input.artifacts,
    stems_generated: input.stemsGenerated,
    stems_preserved: input.artifacts.some((a) => a.kind === 'stems'),
    input: input.input,
    engine: input.engine,
    timings_sec: timings,
    warnings: input.warnings,
    producer: producerInfo(SERVICE_NAME),
    options: input.options,
    output_key: input.outputKey,
  };
  if (job.youtube != null) manifest.youtube = job.youtube;
  if (job.validation != null) manifest.validation = job.validation;
  const residual = finiteOrNull(input.nullResidualDb);
  if (residual !== undefined) manifest.null_residual_db = residual;
  if (input.duplicateOf !== undefined) manifest.duplicate_of = input.duplicateOf;
  if (input.namesFrom !== undefined) manifest.names_from = input.namesFrom;
  const parsed = ManifestSchema.safeParse(manifest);
  if (!parsed.success)
    throw new ImkError(
      'MANIFEST_INVALID',
      `the manifest built for job ${job.job_id} does not validate: ${describeProblems(formatIssues(parsed.error.issues, undefined, ManifestSchema))}`,
      { details: { job_id: job.job_id } },
    );
  return parsed.data;
}

/**
 * What the manifest says of the input: its name, sha256 and size (both of the one file that was hashed,
 * see the hash stage), and what ffprobe found in it. Its length, rate, channels and codec are those of the
 * audio separated, the first audio stream (decodeAudio's): not the container's length, which is its
 * longest stream (a second, longer soundtrack, a video's picture outlasting its sound). Its length is the
 * samples decoded when `frames` is given (what its files are made of), else ffprobe's.
 */
export function inputFacts(
  name: string,
  hashed: { sha256: string; bytes: number },
  info: MediaInfo,
  /** The samples decoded (absent: the input was not decoded, nothing being made of its sound). */
  frames?: { frames: number; sampleRate: number },
): InputFacts {
  const facts: InputFacts = {
    path: name,
    sha256: hashed.sha256,
    bytes: hashed.bytes,
    // As it plays, when it was decoded: an MP3's ffprobe length counts its encoder delay and padding (2.064 s
    // for a song of 2.013 s), so every file made of it was said to be 50 ms short of it.
    duration_sec:
      Math.round(
        (frames ? frames.frames / frames.sampleRate : (info.audio?.duration_sec ?? info.duration_sec ?? 0)) *
          1e6,
      ) / 1e6,
  };
  if (info.audio?.sample_rate !== undefined) facts.sample_rate = info.audio.sample_rate;
  if (info.audio?.channels !== undefined) facts.channels = info.audio.channels;
  if (info.audio?.codec !== undefined) facts.codec = info.audio.codec;
  return facts;
}

/**
 * Said in the manifest when the files' sample rate is not the input's and nobody asked for it: separation
 * works at 44.1 kHz, so a 96 kHz (or 48 kHz, or 8 kHz) input's files are 44.1 kHz unless `sample_rate` is
 * set. Names both rates and how to keep the input's: a setting the job would accept, so for a file whose
 * format cannot be written at the input's rate (mp3 at 96 kHz, m4a at 192 kHz: the job would then fail in
 * its options stage) it says which formats can, and for a rate no file can be written at (384 kHz) the
 * highest one. Undefined when they match, or when a rate was set.
 */
export function sampleRateWarning(
  input: Pick<InputFacts, 'path' | 'sample_rate'>,
  artifacts: readonly Pick<Artifact, 'kind' | 'sample_rate' | 'container'>[],
  requested: number | undefined,
  /** One file named instead of "the files" (a mix added to a job's outputs: its own file). */
  file?: string,
): string | undefined {
  const inputRate = input.sample_rate;
  if (requested !== undefined || inputRate === undefined) return undefined;
  const rates = [
    ...new Set(
      artifacts
        .filter((a) => a.kind === 'audio' || a.kind === 'stems')
        .map((a) => a.sample_rate)
        .filter((rate): rate is number => rate !== undefined && rate !== inputRate),
    ),
  ].sort((a, b) => a - b);
  if (rates.length === 0) return undefined;
  const lowest = rates[0]!;
  const [subject, are, them] = file === undefined ? ['the files', 'are', 'them'] : [file, 'is', 'it'];
  const lost = lowest < inputRate ? ` (sound above ${lowest / 2000} kHz in the input is not in ${them})` : '';
  return `the input ${input.path ?? '(unnamed)'} is ${inputRate} Hz; ${subject} ${are} ${rates.join(' and ')} Hz, the rate separation works at${lost}: ${keepRateAdvice(inputRate, artifacts, them)}`;
}

/** How to have the files written at `rate`, as settings the job accepts (protocol's format limits). */
function keepRateAdvice(
  rate: number,
  artifacts: readonly Pick<Artifact, 'kind' | 'sample_rate' | 'container'>[],
  them: string,
): string {
  const where = "(job options, sidecar or the config's output.sampleRate)";
  // A rate no file can be written at (a 384 kHz or 6 kHz input): the nearest one that can.
  const target = Math.min(Math.max(rate, SAMPLE_RATE_RANGE.min), SAMPLE_RATE_RANGE.max);
  const taking = AUDIO_FORMATS.filter((format) => sampleRateProblem(format, target) === undefined);
  const formats = `output_format ${taking.slice(0, -1).join(', ')} or ${String(taking.at(-1))}`;
  if (target !== rate)
    return `no file is written ${rate > target ? 'above' : 'below'} ${target} Hz; set sample_rate: ${target} ${where} with ${formats} for the nearest`;
  const refusing = [
    ...new Set(
      artifacts
        .filter((a) => a.kind === 'audio' && a.sample_rate !== rate)
        .map((a) => a.container as AudioFormat)
        .filter((format) => AUDIO_FORMATS.includes(format) && sampleRateProblem(format, rate) !== undefined),
    ),
  ];
  if (refusing.length === 0) return `set sample_rate: ${rate} ${where} to have ${them} written at ${rate} Hz`;
  return `${refusing.join(' and ')} cannot be written at ${rate} Hz; set sample_rate: ${rate} ${where} with ${formats} to have ${them} written at ${rate} Hz`;
}

/**
 * Said in the manifest when the input has more channels than the files (a 5.1 film's sound): separation
 * works in stereo, so the files are a downmix. Undefined for mono and stereo inputs.
 */
export function channelsWarning(
  input: Pick<InputFacts, 'path' | 'channels'>,
  artifacts: readonly Pick<Artifact, 'kind' | 'channels'>[],
  /** One file named instead of "the files" (a mix added to a job's outputs: its own file). */
  file?: string,
): string | undefined {
  const inputChannels = input.channels;
  if (inputChannels === undefined || inputChannels <= 2) return undefined;
  const fewer = artifacts.find(
    (a) =>
      (a.kind === 'audio' || a.kind === 'stems') && a.channels !== undefined && a.channels < inputChannels,
  );
  if (fewer === undefined) return undefined;
  const [subject, have] = file === undefined ? ['the files', 'have'] : [file, 'has'];
  return `the input ${input.path ?? '(unnamed)'} has ${inputChannels} channels; ${subject} ${have} ${fewer.channels}, a downmix (separation works in stereo)`;
}

/**
 * The sample-rate and channel warnings of one file added to a published job's outputs (a saved mix), said
 * for that file by name: the job's own warnings speak of the files it made, not of this one.
 */
export function addedFileWarnings(
  input: Pick<InputFacts, 'path' | 'sample_rate' | 'channels'>,
  file: Pick<Artifact, 'kind' | 'path' | 'sample_rate' | 'channels' | 'container'>,
  requestedRate: number | undefined,
): string[] {
  return [
    sampleRateWarning(input, [file], requestedRate, file.path),
    channelsWarning(input, [file], file.path),
  ].filter((warning): warning is string => warning !== undefined);
}
