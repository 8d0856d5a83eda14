import { isAbsolute, resolve } from 'node:path';
import { loadServiceConfig, resolvePaths, type ImkPaths } from '@imk/config';
import { InstrumentalMakerConfigSchema, SERVICE_NAME, type InstrumentalMakerConfig } from './config.ts';

/** A folder of the config: absolute as written, else relative to the root; `fallback` when not set. */
export function configuredDir(paths: ImkPaths, dir: string | undefined, fallback: string): string {
  return dir === undefined ? fallback : isAbsolute(dir) ? dir : resolve(paths.root, dir);
}

/** The worker's stem cache folder: `stemCache.dir` (relative to the root), else <root>/state/cache/stems. */
export function stemCacheDirOf(config: InstrumentalMakerConfig, paths: ImkPaths): string {
  return configuredDir(paths, config.stemCache.dir, paths.stemCache);
}

/**
 * The stem cache folder of the worker of `root`, read from its config (config/instrumental-maker.yaml and
 * IMK_INSTRUMENTAL_MAKER__… variables): the dashboard's mixer reads the stems there (the CLI hands it over).
 */
export async function loadStemCacheDir(root: string): Promise<string> {
  const paths = resolvePaths(root);
  const { config } = await loadServiceConfig({
    service: SERVICE_NAME,
    schema: InstrumentalMakerConfigSchema,
    root: paths.root,
  });
  return stemCacheDirOf(config, paths);
}
