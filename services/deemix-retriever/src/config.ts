import { join } from 'node:path';
import { z } from 'zod';
import { loadRetrieverSettings } from '@imk/retriever-sdk';

export const SERVICE_NAME = 'deemix-retriever';

/** deemix's `-b` values; the earlier version's names (FLAC, MP3_320, MP3_128) are accepted too. */
export const BITRATES = ['flac', '320', '128'] as const;
export type Bitrate = (typeof BITRATES)[number];
const LEGACY_BITRATES: Record<string, Bitrate> = { FLAC: 'flac', MP3_320: '320', MP3_128: '128' };

export const DeemixConfigSchema = z.object({
  /** deemix binary; else $IMK_DEEMIX, else PATH. */
  deemixPath: z.string().optional(),
  /** Folder of `.deezer` request files. @default <root>/requests/deezer */
  requestsDir: z.string().optional(),
  pollIntervalMs: z.number().int().min(50).default(2000),
  /** Quality: flac, 320 or 128 (deemix falls back to a lower one when the account cannot get it). */
  bitrate: z
    .union([z.enum(BITRATES), z.enum(['FLAC', 'MP3_320', 'MP3_128']), z.literal(320), z.literal(128)])
    .default('flac')
    .transform((value): Bitrate =>
      typeof value === 'number' ? (String(value) as Bitrate) : (LEGACY_BITRATES[value] ?? (value as Bitrate)),
    ),
  /** A file holding the ARL (a secret). Env IMK_DEEMIX_ARL / DEEZER_ARL win over it. */
  arlFile: z.string().optional(),
  /** XDG_CONFIG_HOME given to deemix; its config folder (with `.arl`) is `<configHome>/deemix`. @default <root>/state/deemix-retriever/config */
  configHome: z.string().optional(),
  /** Scratch folder for downloads. @default <root>/state/deemix-retriever/work */
  workDir: z.string().optional(),
  /** Longest one deemix run may take (a long album at FLAC). */
  timeoutMs: z
    .number()
    .int()
    .positive()
    .default(30 * 60_000),
  /** Queue the bundles go to. */
  queue: z.string().default('other'),
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
  const { config, paths, stateDir, fromRoot } = await loadRetrieverSettings(
    SERVICE_NAME,
    DeemixConfigSchema,
    root,
    overrides,
  );
  return {
    ...config,
    root: paths.root,
    queueDir: join(paths.queues, config.queue),
    requestsDir: fromRoot(config.requestsDir, join('requests', 'deezer')),
    configHome: fromRoot(config.configHome, join(stateDir, 'config')),
    workDir: fromRoot(config.workDir, join(stateDir, 'work')),
    ...(config.arlFile !== undefined && { arlFile: fromRoot(config.arlFile, config.arlFile) }),
  };
}
