import { z } from 'zod';
import { loadServiceConfig, timerMax } from '@imk/config';
import { DEFAULT_DISK_CHECK_SECONDS } from './disk-guard.ts';

/** A scheduled cleanup first runs this long after start (or after one interval, when that is shorter). */
export const FIRST_CLEANUP_AFTER_MS = 60_000;

/** The config file `config/operations.yaml`: retention cleanup and the disk-space guard. */
export const OPERATIONS_SERVICE = 'operations';

const MB = 1024 * 1024;

const RetentionRuleSchema = (days: number, maxTotalMb: number) =>
  z
    .object({
      maxAgeDays: z
        .number()
        .nonnegative()
        .default(days)
        .describe('Delete entries older than this many days (0 = no age limit).'),
      maxTotalMb: z
        .number()
        .nonnegative()
        .default(maxTotalMb)
        .describe(
          'Then delete the oldest entries until the total is under this many MB (0 = no size limit).',
        ),
    })
    .prefault({});

export const RetentionConfigSchema = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe('Run cleanup on a schedule inside `imk up` and the web service.'),
    intervalMinutes: z
      .number()
      .positive()
      .max(...timerMax('minutes'))
      .default(60)
      .describe(
        `Minutes between scheduled cleanups (at most 35791, about 24 days); the first runs ${FIRST_CLEANUP_AFTER_MS / 1000} s after the web service starts.`,
      ),
    archives: RetentionRuleSchema(30, 0).describe(
      'Archived jobs in queues/<queue>/ (succeeded, failed, rejected): the bundles kept after processing.',
    ),
    caches: RetentionRuleSchema(30, 20_480).describe(
      'Rebuildable caches under state/ (separated stems, dashboard previews).',
    ),
    temp: z
      .object({
        maxAgeHours: z
          .number()
          .positive()
          .default(24)
          .describe('Delete temporary files and folders (*.tmp, unfinished outputs) older than this.'),
      })
      .prefault({})
      .describe('Leftovers of interrupted writes.'),
  })
  .prefault({});
export type RetentionConfig = z.infer<typeof RetentionConfigSchema>;

export const DiskGuardConfigSchema = z
  .object({
    enabled: z.boolean().default(true).describe('Stop claiming new jobs when free space runs low.'),
    minFreeMb: z
      .number()
      .nonnegative()
      .default(2048)
      .describe('Pause claiming when free space on outputs/, queues/ or state/ falls below this many MB.'),
    resumeFreeMb: z
      .number()
      .nonnegative()
      .default(4096)
      .describe('Resume claiming once free space is back above this many MB (at least minFreeMb).'),
    checkIntervalSeconds: z
      .number()
      .positive()
      .max(...timerMax('seconds'))
      .default(DEFAULT_DISK_CHECK_SECONDS)
      .describe('Seconds between free-space checks (at most 2147483, about 24 days).'),
  })
  .prefault({})
  .superRefine((guard, ctx) => {
    // Says both values: raising minFreeMb alone above the default resumeFreeMb is the usual way here.
    if (guard.resumeFreeMb < guard.minFreeMb)
      ctx.addIssue({
        code: 'custom',
        path: ['resumeFreeMb'],
        message: `resumeFreeMb (${guard.resumeFreeMb} MB) must be at least minFreeMb (${guard.minFreeMb} MB), so that claiming resumes above the point where it paused; set diskGuard.resumeFreeMb as well, e.g. ${guard.minFreeMb * 2}`,
      });
  });
export type DiskGuardConfig = z.infer<typeof DiskGuardConfigSchema>;

export const OperationsConfigSchema = z
  .object({
    retention: RetentionConfigSchema.describe('Retention cleanup (`imk cleanup`).'),
    diskGuard: DiskGuardConfigSchema.describe('Disk-space guard consulted before a worker claims a job.'),
  })
  .describe('Operations shared by every service: retention cleanup and the disk-space guard.');
export type OperationsConfig = z.infer<typeof OperationsConfigSchema>;

/** Reads `config/operations.yaml` (optional) with `IMK_OPERATIONS__…` overrides. */
export async function loadOperationsConfig(root: string, env?: NodeJS.ProcessEnv): Promise<OperationsConfig> {
  const loaded = await loadServiceConfig({
    service: OPERATIONS_SERVICE,
    schema: OperationsConfigSchema,
    root,
    env,
  });
  return loaded.config;
}

export const bytesFromMb = (mb: number): number => Math.round(mb * MB);
