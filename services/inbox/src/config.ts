import { join, resolve } from 'node:path';
import { z } from 'zod';
import {
  DEFAULT_QUEUE,
  INBOX,
  loadServiceConfig,
  localPathSchema,
  resolvePaths,
  timerMax,
} from '@imk/config';
import { DEFAULT_POLL_INTERVAL_MS, DEFAULT_STABLE_CHECKS } from '@imk/retriever-sdk/config-schema';
import { ProbeTimeoutSecSchema } from '@imk/media/probe-timeout';
import { SONG_FILE_EXTENSIONS } from '@imk/media/song-extensions';

export const SERVICE_NAME = INBOX;

/**
 * The inbox's defaults written once: `dir`, the drop folder when unset (relative to the root), which the
 * config reference says too. The user's folder, not the service's name (a rename of the service moves no
 * one's drop folder), so not @imk/config's INBOX.
 */
export const INBOX_DEFAULTS = { dir: 'inbox' } as const;

export const InboxConfigSchema = z.object({
  dir: localPathSchema()
    .optional()
    .describe(`The folder to drop files into (relative to the root). @default <root>/${INBOX_DEFAULTS.dir}`),
  pollIntervalMs: z
    .number()
    .int()
    .min(50)
    .max(...timerMax('milliseconds'))
    .default(DEFAULT_POLL_INTERVAL_MS)
    .describe('Milliseconds between looks at the drop folder; a file watcher may start one sooner.'),
  stableChecks: z
    .number()
    .int()
    .min(1)
    .default(DEFAULT_STABLE_CHECKS)
    .describe(
      'Consecutive looks, pollIntervalMs apart, with the same size and mtime before a file counts as completely copied.',
    ),
  queue: z.string().default(DEFAULT_QUEUE).describe('Queue (a folder under queues/) the bundles go to.'),
  extensions: z
    .array(z.string().regex(/^[a-z0-9]+$/))
    .default([...SONG_FILE_EXTENSIONS])
    .describe('Extensions taken (without the dot); anything else is moved to .rejected/ with a reason.'),
  probeTimeoutSec: ProbeTimeoutSecSchema,
  incompleteWaitSec: z
    .number()
    .int()
    .min(0)
    .max(...timerMax('seconds'))
    .default(600)
    .describe(
      'Seconds a file that is not whole yet (empty, or holding less than it declares of itself, in any format: a copy that paused) is left in the inbox unchanged before it is set aside in .rejected/ with the reason.',
    ),
});
export type InboxConfig = z.infer<typeof InboxConfigSchema>;

export interface InboxSettings extends InboxConfig {
  root: string;
  dir: string;
  queueDir: string;
}

export async function loadInboxSettings(
  root: string,
  overrides: Partial<InboxConfig> = {},
): Promise<InboxSettings> {
  const paths = resolvePaths(root);
  const { config } = await loadServiceConfig({
    service: SERVICE_NAME,
    schema: InboxConfigSchema,
    root: paths.root,
  });
  const merged = { ...config, ...overrides };
  return {
    ...merged,
    root: paths.root,
    dir: resolve(paths.root, merged.dir ?? INBOX_DEFAULTS.dir),
    queueDir: join(paths.queues, merged.queue),
  };
}
