import { join, resolve } from 'node:path';
import { z } from 'zod';
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

/**
 * The config fields of a retriever that serves a request folder: where the request files are and how often
 * it is scanned. Spread into the retriever's schema: `z.object({ ...requestFolderFields('.txt', 'requests/x'), … })`.
 */
export function requestFolderFields(extension: string, defaultDir: string) {
  return {
    requestsDir: z
      .string()
      .optional()
      .describe(
        `Folder of \`${extension}\` request files (relative to the root). @default <root>/${defaultDir}`,
      ),
    pollIntervalMs: z
      .number()
      .int()
      .min(50)
      .default(2000)
      .describe('Milliseconds between scans of the request folder; a file watcher may start a scan sooner.'),
  };
}
