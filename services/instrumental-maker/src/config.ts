import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { QUEUE_NAMES } from '@imk/config';
import { AudioFormatSchema, StemNameSchema } from '@imk/protocol';
import { DEFAULT_VARIANT_RECIPES, VariantRecipesSchema } from '@imk/separation';

/** The config file `config/instrumental-maker.yaml` and env prefix `IMK_INSTRUMENTAL_MAKER__`. */
export const SERVICE_NAME = 'instrumental-maker';

/** Jobs at once in one worker when config does not say: one per core, at most 4. */
export function defaultConcurrency(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

const QueueEntrySchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'a queue folder name under queues/'),
  /** Share of claims when several queues have work (smooth weighted round robin). @default 1 */
  weight: z.number().int().min(1).max(100).default(1),
});

const LoudnessSchema = z
  .object({
    /** Normalise every output when no job asks (a job's target_lufs turns it on for that job). @default false */
    enabled: z.boolean().default(false),
    targetLufs: z.number().min(-30).max(-5).default(-14),
    truePeak: z.number().min(-6).max(0).default(-1),
    twoPass: z.boolean().default(true),
  })
  .default({ enabled: false, targetLufs: -14, truePeak: -1, twoPass: true });

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
          .describe('builtin, demucs, or a name defined in `module`.'),
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
      })
      .default({ name: 'builtin', params: {} }),
    variants: z
      .array(z.string().min(1))
      .min(1)
      .default(['instrumental', 'no_drums', 'drums_only'])
      .describe('Variants made for every job unless the job names its own.'),
    recipes: VariantRecipesSchema.default({})
      .transform((recipes) => ({ ...DEFAULT_VARIANT_RECIPES, ...recipes }))
      .describe(
        'Variant recipes by name; added to (and overriding) the defaults instrumental, no_drums, drums_only.',
      ),
    output: z
      .object({
        format: AudioFormatSchema.default('m4a'),
        sampleRate: z.number().int().min(8000).max(192000).optional(),
        bitDepth: z.union([z.literal(16), z.literal(24), z.literal(32)]).optional(),
        /** AAC / mp3 bitrate. */
        bitrate: z
          .string()
          .regex(/^\d+k$/)
          .optional(),
      })
      .default({ format: 'm4a' }),
    stems: z
      .object({
        keep: z
          .union([z.boolean(), z.array(StemNameSchema)])
          .default(false)
          .describe('Keep stems for every job.'),
        format: z.enum(['flac', 'wav']).default('flac'),
        stemMp4: z
          .boolean()
          .default(true)
          .describe('Also write a Native Instruments .stem.mp4 when stems are kept.'),
      })
      .default({ keep: false, format: 'flac', stemMp4: true }),
    video: z
      .object({
        variant: z
          .string()
          .default('instrumental')
          .describe('The variant put under the picture of a video job.'),
      })
      .default({ variant: 'instrumental' }),
    loudness: LoudnessSchema,
    stemCache: z
      .object({
        enabled: z.boolean().default(true),
        dir: z
          .string()
          .optional()
          .describe(
            '@default <root>/state/cache/stems (pruned by age and size by `imk cleanup`, config/operations.yaml)',
          ),
      })
      .default({ enabled: true }),
    duplicates: z
      .enum(['skip', 'process'])
      .default('skip')
      .describe(
        'A job whose input (sha256) and outputs asked match a succeeded job: skip (link) or process again.',
      ),
    retry: z
      .object({
        maxAttempts: z.number().int().min(1).max(100).default(3),
        backoffMs: z.number().int().min(0).default(5000),
        maxBackoffMs: z.number().int().min(0).default(300_000),
      })
      .default({ maxAttempts: 3, backoffMs: 5000, maxBackoffMs: 300_000 }),
    leaseMs: z.number().int().min(100).default(30_000),
    pollMs: z.number().int().min(20).default(1000),
    gracePeriodMs: z
      .number()
      .int()
      .min(0)
      .default(30_000)
      .describe('On SIGTERM, running jobs get this long to finish before they are released.'),
    workDir: z.string().optional().describe('Scratch space. @default <root>/state/tmp/instrumental-maker'),
  })
  .describe('The instrumental-maker worker.');
export type InstrumentalMakerConfig = z.infer<typeof InstrumentalMakerConfigSchema>;
