import { join } from 'node:path';
import { z } from 'zod';
import { DEEMIX_RETRIEVER, DEFAULT_QUEUE, localPathSchema, timerMax } from '@imk/config';
import { loadRetrieverSettings, requestFolderFields } from '@imk/retriever-sdk/config-schema';

export const SERVICE_NAME = DEEMIX_RETRIEVER;

/** Where request files are read when requestsDir is unset (relative to the root); the config reference says so. */
export const DEFAULT_REQUESTS_DIR = 'requests/deezer';

/** deemix's `-b` values; the earlier version's names (FLAC, MP3_320, MP3_128) are accepted too. */
export const BITRATES = ['flac', '320', '128'] as const;
export type Bitrate = (typeof BITRATES)[number];
const LEGACY_BITRATES: Record<string, Bitrate> = { FLAC: 'flac', MP3_320: '320', MP3_128: '128' };

export const DeemixConfigSchema = z.object({
  deemixPath: localPathSchema()
    .optional()
    .describe('The deemix program to run; unset = $IMK_DEEMIX, else deemix on PATH.'),
  ...requestFolderFields('.deezer', DEFAULT_REQUESTS_DIR),
  bitrate: z
    .union([z.enum(BITRATES), z.enum(['FLAC', 'MP3_320', 'MP3_128']), z.literal(320), z.literal(128)])
    .default('flac')
    .transform((value): Bitrate =>
      typeof value === 'number' ? (String(value) as Bitrate) : (LEGACY_BITRATES[value] ?? (value as Bitrate)),
    )
    .describe(
      'Quality: flac, 320 or 128 (deemix falls back to a lower one when the account cannot get it); FLAC, MP3_320 and MP3_128 are accepted too.',
    ),
  arlFile: localPathSchema()
    .optional()
    .describe(
      'A file holding the Deezer ARL (a secret). $IMK_DEEMIX_ARL, $DEEZER_ARL and $IMK_DEEMIX_ARL_FILE win over it.',
    ),
  configHome: z
    .string()
    .optional()
    .describe(
      'XDG_CONFIG_HOME given to deemix; its config folder (with `.arl`) is `<configHome>/deemix`. @default <root>/state/deemix-retriever/config',
    ),
  workDir: localPathSchema()
    .optional()
    .describe('Scratch folder for downloads. @default <root>/state/deemix-retriever/work'),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .max(...timerMax('milliseconds'))
    .default(30 * 60_000)
    .describe('Longest one deemix run may take, in milliseconds (a long album at FLAC); then it is stopped.'),
  queue: z.string().default(DEFAULT_QUEUE).describe('Queue (a folder under queues/) the bundles go to.'),
});
export type DeemixConfig = z.infer<typeof DeemixConfigSchema>;

export interface DeemixSettings extends DeemixConfig {
  root: string;
  queueDir: string;
  requestsDir: string;
  configHome: string;
  workDir: string;
}

export async function loadDeemixSettings(
  root: string,
  overrides: Partial<DeemixConfig> = {},
): Promise<DeemixSettings> {
  const { config, paths, stateDir, defaultWorkDir, fromRoot } = await loadRetrieverSettings(
    SERVICE_NAME,
    DeemixConfigSchema,
    root,
    overrides,
  );
  return {
    ...config,
    root: paths.root,
    queueDir: join(paths.queues, config.queue),
    requestsDir: fromRoot(config.requestsDir, DEFAULT_REQUESTS_DIR),
    configHome: fromRoot(config.configHome, join(stateDir, 'config')),
    workDir: fromRoot(config.workDir, defaultWorkDir),
    ...(config.arlFile !== undefined && { arlFile: fromRoot(config.arlFile, config.arlFile) }),
  };
}
