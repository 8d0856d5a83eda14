import { readFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { z } from 'zod';
import { checkServiceConfig, configFile } from './load-config.ts';

export const QUEUE_NAMES = ['youtube_audio', 'youtube_video', 'other'] as const;

/** The config file `config/paths.yaml` (env overrides `IMK_PATHS__QUEUES`, `IMK_PATHS__OUTPUTS`). */
export const PATHS_CONFIG = 'paths';

const location = (what: string, folder: string) =>
  z
    .string()
    .min(1)
    .optional()
    .describe(
      `Where ${what} lives: an absolute path (e.g. a shared mount, or the earlier version's folder kept in place), or a path relative to the root. Unset: <root>/${folder}.`,
    );

export const PathsConfigSchema = z.object({
  queues: location('the queue folders (one per queue: youtube_audio, youtube_video, other)', 'queues'),
  outputs: location('the outputs folder (outputs/<job_id>/)', 'outputs'),
});
export type PathsConfig = z.output<typeof PathsConfigSchema>;

export interface ImkPaths {
  root: string;
  queues: string;
  outputs: string;
  config: string;
  /** Ledger database, sync receipts, caches: state that can be rebuilt or is local to this host. */
  state: string;
}

/**
 * Where everything lives: the root is `--root`, else `IMK_ROOT`, else the current folder. `queues/` and
 * `outputs/` are under it unless `config/paths.yaml` or `IMK_PATHS__QUEUES` / `IMK_PATHS__OUTPUTS` put
 * them elsewhere (several hosts sharing one export, or an existing layout kept in place), while
 * `config/` and `state/` stay under the root, local to this host.
 */
export function resolvePaths(root?: string, env: NodeJS.ProcessEnv = process.env): ImkPaths {
  const base = resolve(root ?? env.IMK_ROOT ?? process.cwd());
  const { config } = checkServiceConfig(
    { service: PATHS_CONFIG, schema: PathsConfigSchema, root: base, env },
    readIfPresent(configFile(base, PATHS_CONFIG)),
  );
  return {
    root: base,
    queues: resolve(base, config.queues ?? 'queues'),
    outputs: resolve(base, config.outputs ?? 'outputs'),
    config: join(base, 'config'),
    state: join(base, 'state'),
  };
}

function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
