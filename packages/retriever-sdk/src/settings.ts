import { join, resolve } from 'node:path';
import type { z } from 'zod';
import { loadServiceConfig, resolvePaths, type ImkPaths } from '@imk/config';

export interface RetrieverSettingsBase<C> {
  /** config/<service>.yaml (with env overrides) and then the caller's overrides. */
  config: C;
  paths: ImkPaths;
  /** `<root>/state/<service>`: the retriever's own state (archives, work folders, caches). */
  stateDir: string;
  /** A path from config, relative to the root; `fallback` (relative to the root too) when unset. */
  fromRoot: (path: string | undefined, fallback: string) => string;
}

/** What every retriever does first: load its config, apply overrides, and locate its folders. */
export async function loadRetrieverSettings<S extends z.ZodType<object>>(
  service: string,
  schema: S,
  root: string,
  overrides: Partial<z.output<S>> = {},
): Promise<RetrieverSettingsBase<z.output<S>>> {
  const paths = resolvePaths(root);
  const { config } = await loadServiceConfig({ service, schema, root: paths.root });
  return {
    config: { ...config, ...overrides },
    paths,
    stateDir: join(paths.state, service),
    fromRoot: (path, fallback) => resolve(paths.root, path ?? fallback),
  };
}
