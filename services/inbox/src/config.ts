import { join, resolve } from 'node:path';
import { z } from 'zod';
import { loadServiceConfig, resolvePaths } from '@imk/config';

export const SERVICE_NAME = 'inbox';

export const MEDIA_EXTENSIONS = ['mp3', 'm4a', 'flac', 'wav', 'ogg', 'opus', 'mp4', 'mkv', 'webm'] as const;

export const InboxConfigSchema = z.object({
  /** The folder to drop files into. @default <root>/inbox */
  dir: z.string().optional(),
  pollIntervalMs: z.number().int().min(50).default(2000),
  /** Consecutive looks with the same size and mtime before a file counts as completely copied. */
  stableChecks: z.number().int().min(1).default(2),
  /** Queue the bundles go to. */
  queue: z.string().default('other'),
  /** Extensions taken (without the dot); anything else is moved to .rejected/ with a reason. */
  extensions: z.array(z.string().regex(/^[a-z0-9]+$/)).default([...MEDIA_EXTENSIONS]),
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
    dir: resolve(paths.root, merged.dir ?? 'inbox'),
    queueDir: join(paths.queues, merged.queue),
  };
}
