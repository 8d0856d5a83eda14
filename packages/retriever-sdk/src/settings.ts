import { resolve } from 'node:path';
import { z } from 'zod';
import {
  loadServiceConfig,
  localPathSchema,
  resolvePaths,
  serviceStatePaths,
  type ImkPaths,
  timerMax,
} from '@imk/config';

/** withRetry's defaults, also those of a retriever's config that does not choose its own. */
export const RETRY_DEFAULTS = { attempts: 3, backoffMs: 2000, maxBackoffMs: 60_000 } as const;

/** Looks, a poll apart, with the same size and mtime before a dropped file counts as completely copied. */
export const DEFAULT_STABLE_CHECKS = 2;

/** Time between two looks at a request or drop folder (pollIntervalMs; pollFolder's intervalMs). */
export const DEFAULT_POLL_INTERVAL_MS = 2000;

export interface RetrieverSettingsBase<C> {
  /** config/<service>.yaml (with env overrides) and then the caller's overrides. */
  config: C;
  paths: ImkPaths;
  /** `<root>/state/<service>`: the retriever's own state (archives, work folders, caches). */
  stateDir: string;
  /** Its scratch folder when the config names none (`state/<service>/work`, pruned by `imk cleanup`). */
  defaultWorkDir: string;
  /** Its rebuildable cache (`state/<service>/cache`, pruned by `imk cleanup`). */
  cacheDir: string;
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
  const own = serviceStatePaths(paths.state, service);
  return {
    config: { ...config, ...overrides },
    paths,
    stateDir: own.dir,
    defaultWorkDir: own.work,
    cacheDir: own.cache,
    fromRoot: (path, fallback) => resolve(paths.root, path ?? fallback),
  };
}

/**
 * The config fields of a retriever that serves a request folder: where the request files are and how often
 * it is scanned. Spread into the retriever's schema: `z.object({ ...requestFolderFields('.txt', 'requests/x'), … })`.
 */
export function requestFolderFields(extension: string, defaultDir: string) {
  return {
    requestsDir: localPathSchema()
      .optional()
      .describe(
        `Folder of \`${extension}\` request files (relative to the root). @default <root>/${defaultDir}`,
      ),
    pollIntervalMs: z
      .number()
      .int()
      .min(50)
      .max(...timerMax('milliseconds'))
      .default(DEFAULT_POLL_INTERVAL_MS)
      .describe('Milliseconds between scans of the request folder; a file watcher may start a scan sooner.'),
    gracePeriodMs: z
      .number()
      .int()
      .min(0)
      .max(...timerMax('milliseconds'))
      .default(30_000)
      .describe(
        'On Ctrl-C or SIGTERM, the request being fetched gets this long to finish; then its download is stopped and the request is handled again at the next start (it is not failed).',
      ),
  };
}
