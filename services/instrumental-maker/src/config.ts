import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { windowsNameProblem } from '@imk/fs-safe';
import { INSTRUMENTAL_MAKER, QUEUE_NAMES, localPathSchema, timerMax } from '@imk/config';
import { DEFAULT_LEASE_MS, DEFAULT_MAX_ATTEMPTS, DEFAULT_POLL_MS } from '@imk/fsqueue';
import { andList, orList } from '@imk/errors';
import {
  AUDIO_FORMATS,
  AudioFormatSchema,
  STEM_NAMES,
  SampleRateSchema,
  StemNameSchema,
  VariantNameSchema,
  VariantRequestSchema,
  bitDepthProblem,
  sampleRateProblem,
} from '@imk/protocol';
import { MaxDurationSecSchema } from '@imk/media/duration-limit';
import { ProbeTimeoutSecSchema } from '@imk/media/probe-timeout';
import { ENGINE_NAMES } from '@imk/separation/engine-names';
import { DEFAULT_VARIANT_RECIPES, DEFAULT_VARIANTS, VariantRecipesSchema } from '@imk/separation/variants';

/** The config file `config/instrumental-maker.yaml` and env prefix `IMK_INSTRUMENTAL_MAKER__`. */
export const SERVICE_NAME = INSTRUMENTAL_MAKER;

/**
 * A variant's file-name suffix, as written in config: put after a name already made safe, so it must be one
 * NTFS and SMB take too (fs-safe's rules: none of <>:"/\\|?*, no control character, no dot or space at its end).
 */
const FileSuffixSchema = z
  .string()
  .max(64)
  .superRefine((suffix, ctx) => {
    const problem = windowsNameProblem(suffix);
    if (problem !== undefined)
      ctx.addIssue({ code: 'custom', message: `a file name part NTFS and SMB refuse: ${problem}` });
  });

/** Jobs at once in one worker when config does not say: one per core, at most 4. */
export function defaultConcurrency(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

const QueueEntrySchema = z.object({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'a queue folder name under queues/')
    .describe('A queue folder name under queues/.'),
  weight: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(1)
    .describe('Share of claims when several queues have work (smooth weighted round robin).'),
});

const LoudnessSchema = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "Normalise every output when no job asks (a job's target_lufs or true_peak turns it on for that job).",
      ),
    targetLufs: z
      .number()
      .min(-30)
      .max(-5)
      .default(-14)
      .describe("Integrated loudness target, in LUFS; a job's target_lufs wins."),
    truePeak: z
      .number()
      .min(-6)
      .max(0)
      .default(-1)
      .describe("Highest true peak allowed, in dBTP; a job's true_peak wins."),
    twoPass: z
      .boolean()
      .default(true)
      .describe(
        "Measure the audio first, then normalise with what was measured (more exact than one pass); a job's two_pass_loudness wins.",
      ),
  })
  .prefault({})
  .describe('Loudness normalisation (EBU R128) of the variant audio files.');

// The mdx engine's settings may sit directly under `engine:` (they join engine.params, which wins).
const MDX_ENGINE_KEYS = {
  model: localPathSchema(1)
    .optional()
    .describe('mdx: the UVR MDX-Net .onnx model, relative to the root (models/<file>.onnx).'),
  overlap: z
    .union([z.literal('default'), z.number().min(0).max(0.99)])
    .optional()
    .describe(
      "mdx: 'default' (UVR's step of chunk − n_fft) or the fraction of a chunk successive chunks share.",
    ),
  batchSize: z.number().int().min(1).max(16).optional().describe('mdx: chunks per model run (same output).'),
  threads: z
    .number()
    .int()
    .min(1)
    .max(256)
    .optional()
    .describe('mdx: ONNX Runtime threads. Default: the core count.'),
  denoise: z
    .boolean()
    .optional()
    .describe('mdx: average f(X) and −f(−X), as UVR\'s "denoise" (twice the model time).'),
  compensate: z
    .union([z.literal('auto'), z.number().positive().max(10)])
    .optional()
    .describe(
      "mdx: UVR's Volume Compensation, the factor applied to the model's output: auto (the model's own compensate, from its UVR model data) or a number such as 1.035. Default: auto.",
    ),
  executionProviders: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe(
      'mdx: ONNX Runtime execution providers in order of preference, e.g. [cuda, cpu]: the first that works runs the model (the log and imk doctor say which, and why the ones before it could not), and a run that fails on it mid-song (a GPU out of memory) goes on with the next, with a warning in the manifest; the worker then keeps to the next one for that model until it restarts. Default: [cpu].',
    ),
};

export const InstrumentalMakerConfigSchema = z
  .object({
    queues: z
      .array(QueueEntrySchema)
      .min(1)
      .default(QUEUE_NAMES.map((name) => ({ name, weight: 1 })))
      .describe('Queues claimed from, in order of preference, each with a weight.'),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(64)
      .optional()
      .describe('Jobs processed at once by one worker. Default: one per core, at most 4.'),
    engine: z
      .object({
        name: z
          .string()
          .min(1)
          .default('builtin')
          .describe(`${ENGINE_NAMES.join(', ')}, or a name defined in \`module\`.`),
        params: z
          .record(z.string(), z.unknown())
          .default({})
          .describe('Engine parameters (part of the stem cache key).'),
        module: z
          .string()
          .optional()
          .describe(
            'A module exporting createEngine(params) for a custom engine (path relative to the root).',
          ),

        ...MDX_ENGINE_KEYS,
        fallback: z
          .boolean()
          .default(true)
          .describe(
            "When the engine a job, its sidecar or this file names is not installed (e.g. a legacy sidecar's htdemucs without demucs), or the MDX model a job or its sidecar names is not in models/: use builtin, with a warning in the manifest and the log. false: the job fails at once.",
          ),
      })
      .prefault({})
      .describe("The separation engine that splits each song into stems; a job's engine option wins."),
    variants: z
      .array(VariantRequestSchema)
      .min(1)
      .default([...DEFAULT_VARIANTS])
      .describe(
        'Variants made for every job unless the job names its own; a name may end in a key and/or tempo change (instrumental@-2, no_drums@0.8x).',
      ),
    recipes: VariantRecipesSchema.default({})
      .transform((recipes) => ({ ...DEFAULT_VARIANT_RECIPES, ...recipes }))
      .describe(
        `Variant recipes by name; added to (and overriding) the defaults ${andList(Object.keys(DEFAULT_VARIANT_RECIPES))} (the a cappella). A recipe sums stems (a list, or a level per stem) or subtracts them from the mixture, then may change key (pitch, semitones) and tempo.`,
      ),
    output: z
      .object({
        format: AudioFormatSchema.default('m4a').describe(
          `Format of the variant files: ${orList(AUDIO_FORMATS)}; a job's output_format wins.`,
        ),
        sampleRate: SampleRateSchema.optional().describe(
          "Sample rate of the variant files, in Hz; unset keeps the separated audio's, 44.1 kHz (44100), not the input's. A job's sample_rate wins. m4a takes the MPEG-4 rates up to 96000, mp3 the MPEG rates up to 48000 (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000), flac and wav any: a job whose format cannot be written at this rate fails before any work, naming this key (with output.format one that cannot, the worker says so when it starts and imk doctor warns).",
        ),
        bitDepth: z
          .union([z.literal(16), z.literal(24), z.literal(32)])
          .optional()
          .describe(
            "Bits per sample of flac (16, 24) and wav (16, 24, 32 = float) files, and of kept stems (16, else 24); unset = 24. Ignored for m4a and mp3; a job's bit_depth wins.",
          ),
        suffixes: z
          .record(VariantNameSchema, FileSuffixSchema)
          .default({})
          .describe(
            "Text after 'Artist - Title' in a variant's file name and title tag, by variant name, e.g. no_drums: ' (no drums)' (the earlier instrumental-maker's name, which imk migrate writes); a variant not listed keeps its usual one (' (no drum)', ' (drums only)', ' (<name>)'). A key or tempo change still follows it.",
          ),
        bitrate: z
          .string()
          .regex(/^\d+k$/)
          .optional()
          .describe(
            'AAC / mp3 bitrate, e.g. "192k"; unset = 256k for m4a, 320k for mp3. Also the AAC bitrate of a video job\'s sound.',
          ),
      })
      .prefault({})
      .describe('How the variant audio files are encoded.'),
    stems: z
      .object({
        keep: z
          .union([z.boolean(), z.array(StemNameSchema)])
          .default(false)
          .describe('Keep stems for every job.'),
        format: z.enum(['flac', 'wav']).default('flac').describe('Format of kept stem files.'),
        stemMp4: z
          .boolean()
          .default(true)
          .describe('Also write a Native Instruments .stem.mp4 when stems are kept.'),
      })
      .prefault({})
      .describe(`The separated stems (${STEM_NAMES.join(', ')}), written as files only when kept.`),
    video: z
      .object({
        variant: z
          .string()
          .default('instrumental')
          .describe('The variant put under the picture of a video job.'),
        instrumental: z
          .boolean()
          .default(true)
          .describe(
            'Publish the video with the variant as its sound (kind: video, variant: the variant), files/video/Artist - Title.mp4.',
          ),
        source: z
          .boolean()
          .default(true)
          .describe(
            "Publish the bundle's video as it came, a bit-identical copy (kind: video, variant: source, as the earlier version did), files/video/Artist - Title (source).mp4.",
          ),
      })
      .prefault({})
      .describe('Video jobs: the picture is copied as it is and the sound replaced by a variant.'),
    loudness: LoudnessSchema,
    stemCache: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe(
            'Reuse the stems of an input already separated by the same engine (name, version and parameters), or of another file that decodes to the same samples (the audio and video jobs of a song fetched in mode "both", when the video carries the same encode).',
          ),
        dir: localPathSchema()
          .optional()
          .describe(
            "@default <root>/state/cache/stems (pruned by age and size by `imk cleanup`, config/operations.yaml; in a folder of your own only the cache's entries, named by 64-hex keys, and its .tmp- scratch folders are ever removed). The dashboard's mixer reads the stems here too (imk up / imk run web read this file).",
          ),
      })
      .prefault({})
      .describe('Stems kept by input sha256 and engine, so that the same song is not separated twice.'),
    duplicates: z
      .enum(['skip', 'process'])
      .default('skip')
      .describe(
        'A job whose input (sha256) and outputs asked match a succeeded job: skip (link) or process again.',
      ),
    retry: z
      .object({
        maxAttempts: z
          .number()
          .int()
          .min(1)
          .max(100)
          .default(DEFAULT_MAX_ATTEMPTS)
          .describe('Attempts before a job is archived as failed (failures and expired leases both count).'),
        backoffMs: z
          .number()
          .int()
          .min(0)
          .max(...timerMax('milliseconds'))
          .default(5000)
          .describe('Milliseconds before a failed job is claimed again; doubles with each attempt.'),
        maxBackoffMs: z
          .number()
          .int()
          .min(0)
          .max(...timerMax('milliseconds'))
          .default(300_000)
          .describe('Longest wait before a retry, in milliseconds.'),
        maxWaitMs: z
          .number()
          .int()
          .min(0)
          .max(...timerMax('milliseconds'))
          .default(86_400_000)
          .describe(
            'Longest a job waits, in milliseconds, for something outside it: the earlier instrumental-maker still writing outputs/<job_id>/ (OUTPUTS_BEING_WRITTEN). It waits without spending its attempts, then fails (imk retry tries it again). All the waits of one attempt together (the folder busy again after the job ran) get maxWaitMs / waitCheckMs + 1 looks.',
          ),
        waitCheckMs: z
          .number()
          .int()
          .min(0)
          .max(...timerMax('milliseconds'))
          .default(60_000)
          .describe('Milliseconds between two looks of a waiting job at what it waits for.'),
      })
      .prefault({})
      .describe('Retries of failed jobs (only failures worth another try; others fail at once).'),
    leaseMs: z
      .number()
      .int()
      .min(100)
      .max(...timerMax('milliseconds'))
      .default(DEFAULT_LEASE_MS)
      .describe(
        'A claimed job whose heartbeat has not moved for this many milliseconds goes back to its queue (an attempt is counted).',
      ),
    pollMs: z
      .number()
      .int()
      .min(20)
      .max(...timerMax('milliseconds'))
      .default(DEFAULT_POLL_MS)
      .describe('Milliseconds between listings of the queue folders (the truth; a watcher only hints).'),
    gracePeriodMs: z
      .number()
      .int()
      .min(0)
      .max(...timerMax('milliseconds'))
      .default(30_000)
      .describe('On SIGTERM, running jobs get this long to finish before they are released.'),
    workDir: localPathSchema()
      .optional()
      .describe('Scratch space. @default <root>/state/tmp/instrumental-maker'),
    maxDurationSec: MaxDurationSecSchema.describe(
      'Longest input accepted, in seconds (read with ffprobe before anything is decoded); a longer one is failed at once with the reason.',
    ),
    probeTimeoutSec: ProbeTimeoutSecSchema,
  })
  .describe('The instrumental-maker worker.');
export type InstrumentalMakerConfig = z.infer<typeof InstrumentalMakerConfigSchema>;

/**
 * The parameters of the configured engine: engine.params, over the mdx settings written directly under
 * `engine:` (model, overlap, …; the form the docs show). The worker and `imk doctor` both read them here, so
 * doctor checks the model the worker will run.
 */
export function configuredEngineParams(engine: InstrumentalMakerConfig['engine']): Record<string, unknown> {
  const shortcuts = Object.fromEntries(
    Object.keys(MDX_ENGINE_KEYS)
      .map((key) => [key, engine[key as keyof typeof MDX_ENGINE_KEYS]] as const)
      .filter(([, value]) => value !== undefined),
  );
  return { ...shortcuts, ...engine.params };
}

/**
 * Why the config's own output settings cannot be written together (`output.format: mp3` with
 * `output.sampleRate: 96000`, `flac` with `bitDepth: 32`), naming its keys; undefined when they can. Such a
 * config is valid, since a job may choose a format that takes the rate, but every job that does not fails
 * in its options stage: the worker says so when it starts and `imk doctor` warns.
 */
export function outputDefaultsProblem(
  output: InstrumentalMakerConfig['output'],
): { key: 'sampleRate' | 'bitDepth'; message: string } | undefined {
  const rate = sampleRateProblem(output.format, output.sampleRate);
  const depth = bitDepthProblem(output.format, output.bitDepth);
  const [key, problem] =
    rate !== undefined ? (['sampleRate', rate] as const) : (['bitDepth', depth] as const);
  if (problem === undefined) return undefined;
  return {
    key,
    message: `config/${SERVICE_NAME}.yaml: output.format and output.${key}: ${problem}; every job that does not choose its own output_format fails`,
  };
}
