import { resolve, join } from 'node:path';
import { z } from 'zod';
import { localPathSchema } from './home-tilde.ts';
import { checkServiceConfig, configFile } from './load-config.ts';
import { QUEUE_NAMES } from './queue-names.ts';
import { readConfigFile } from './read-config-file.ts';

export { QUEUE_NAMES };

/** The queue a retriever publishes into when its config names none. */
export const DEFAULT_QUEUE: (typeof QUEUE_NAMES)[number] = 'other';

/** The config file `config/paths.yaml` (env overrides `IMK_PATHS__QUEUES`, `IMK_PATHS__OUTPUTS`). */
export const PATHS_CONFIG = 'paths';

const location = (what: string, folder: string) =>
  localPathSchema(1)
    .optional()
    .describe(
      `Where ${what} lives: an absolute path (e.g. a shared mount, or the earlier version's folder kept in place), or a path relative to the root. Unset: <root>/${folder}.`,
    );

export const PathsConfigSchema = z.object({
  queues: location(`the queue folders (one per queue: ${QUEUE_NAMES.join(', ')})`, 'queues'),
  outputs: location('the outputs folder (outputs/<job_id>/)', 'outputs'),
});
export type PathsConfig = z.output<typeof PathsConfigSchema>;

/** What `state/` holds (local to this host): the one place these names are written. */
export const STATE_LAYOUT = {
  /** The jobs ledger (SQLite), rebuildable from the folders. */
  ledger: 'ledger.sqlite',
  /** nas-sync's receipts (SQLite): what was delivered where. */
  receipts: 'nas-sync.sqlite',
  /** Rebuildable caches, one folder per component (`state/cache/<component>/`). */
  cache: 'cache',
  /** Scratch space, one folder per owner (`state/tmp/<owner>/`). */
  tmp: 'tmp',
  /** The worker's stem cache, in `state/cache/` (unless its `stemCache.dir` moves it): the mixer reads it. */
  stemCache: 'stems',
  /** `imk migrate`'s record of the values it wrote, and the config files it replaced (`state/migrate/`). */
  migrate: 'migrate',
} as const;

/**
 * A service's own folder, `state/<service>/` (a retriever's archives, subscriptions, deemix's config): its
 * scratch space is `work/`, its rebuildable cache `cache/`. `imk cleanup` prunes both by these names.
 */
export const SERVICE_STATE_LAYOUT = { work: 'work', cache: 'cache' } as const;

/** `state/<service>/` and its scratch and cache folders (pure). */
export function serviceStatePaths(
  stateDir: string,
  service: string,
): { dir: string; work: string; cache: string } {
  const dir = join(stateDir, service);
  return { dir, work: join(dir, SERVICE_STATE_LAYOUT.work), cache: join(dir, SERVICE_STATE_LAYOUT.cache) };
}

/** Every path under `state/`. */
export interface StatePaths {
  /** Ledger database, sync receipts, caches: state that can be rebuilt or is local to this host. */
  state: string;
  ledger: string;
  receipts: string;
  cache: string;
  tmp: string;
  /** The worker's stem cache when its config does not move it: `state/cache/stems`. */
  stemCache: string;
  /** `imk migrate`'s record of what it wrote and its copies of the config files it replaced. */
  migrate: string;
}

export interface ImkPaths extends StatePaths {
  root: string;
  queues: string;
  outputs: string;
  config: string;
  /**
   * Set for the data folders config/paths.yaml (or IMK_PATHS__…) places somewhere; the others are the
   * default layout under the root. /readyz and doctor create no folder (see dataFolderProblem); the
   * worker makes a missing outputs folder on its first start, placed or not.
   */
  placed?: Readonly<Partial<Record<DataFolder, true>>>;
}

/** The folders config/paths.yaml may place outside the root. */
export type DataFolder = 'queues' | 'outputs';

/** The paths under `<root>/state/` (pure: reads no file; `state/` is never moved by config/paths.yaml). */
export function statePaths(root: string): StatePaths {
  const state = join(root, 'state');
  return {
    state,
    ledger: join(state, STATE_LAYOUT.ledger),
    receipts: join(state, STATE_LAYOUT.receipts),
    cache: join(state, STATE_LAYOUT.cache),
    tmp: join(state, STATE_LAYOUT.tmp),
    stemCache: join(state, STATE_LAYOUT.cache, STATE_LAYOUT.stemCache),
    migrate: join(state, STATE_LAYOUT.migrate),
  };
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
    readConfigFile(configFile(base, PATHS_CONFIG)),
  );
  return {
    root: base,
    queues: resolve(base, config.queues ?? 'queues'),
    outputs: resolve(base, config.outputs ?? 'outputs'),
    config: join(base, 'config'),
    ...statePaths(base),
    placed: {
      ...(config.queues !== undefined && { queues: true }),
      ...(config.outputs !== undefined && { outputs: true }),
    },
  };
}
