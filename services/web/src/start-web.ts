import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { UrlRetriever } from '@imk/retriever-sdk';
import { loadServiceConfig, resolvePaths } from '@imk/config';
import { ImkError, errorMessage } from '@imk/errors';
import type { Logger } from '@imk/log';
import { openDiskGuard, startCleanupSchedule, type DiskGuard } from '@imk/ops';
import { resolveToken } from './auth.ts';
import { WEB_SERVICE, WebConfigSchema, type WebConfig } from './config.ts';
import type { RetryJob, ServiceState } from './context.ts';
import { createWebServer } from './server.ts';
import type { SyncStatusSource } from './system/sync-status.ts';

export interface StartWebOptions {
  /** Folder holding queues/, outputs/, config/ and state/. */
  root: string;
  logger: Logger;
  /** Stops the server: open requests and event streams end, then the promise resolves. */
  signal: AbortSignal;
  /** Settings that win over config/web.yaml (e.g. `imk up --port`). */
  overrides?: Partial<WebConfig>;
  /** Called once the server listens, with its base URL. */
  onListening?: (url: string) => void;
  diskGuard?: DiskGuard;
  services?: () => ServiceState[];
  retry?: RetryJob;
  requestsPlugin?: FastifyPluginAsync;
  /** URL retrievers for POST /api/requests (the CLI composes them). @default none */
  urlRetrievers?: readonly UrlRetriever[];
  /** Sync status shown on the dashboard (the CLI passes nas-sync's). @default none */
  syncStatus?: SyncStatusSource;
  /** Run retention cleanup on its schedule (config/operations.yaml). @default true */
  cleanupSchedule?: boolean;
  /**
   * The worker's stem cache folder (its `stemCache.dir`), where the mixer reads a job's stems; the CLI
   * passes a function reading the worker's config. @default <root>/state/cache/stems
   */
  stemCacheDir?: string | (() => Promise<string>);
}

export interface RunningWeb {
  url: string;
  app: FastifyInstance;
  /** Resolves when the server has closed (after the signal aborted). */
  closed: Promise<void>;
}

/** The stem cache folder handed over; undefined (the default folder) when the worker's config cannot say. */
async function resolveStemCacheDir(
  given: StartWebOptions['stemCacheDir'],
  logger: Logger,
): Promise<string | undefined> {
  if (typeof given !== 'function') return given;
  try {
    return await given();
  } catch (error) {
    logger.warn(
      { err: errorMessage(error) },
      `the worker's stem cache folder is unknown (${errorMessage(error)}); the mixer looks in state/cache/stems`,
    );
    return undefined;
  }
}

/** Loads config, checks the token rule, and listens. Resolves once listening. */
export async function listenWeb(options: StartWebOptions): Promise<RunningWeb> {
  const paths = resolvePaths(options.root);
  const logger = options.logger.child({ component: WEB_SERVICE });
  const { config: fileConfig } = await loadServiceConfig({
    service: WEB_SERVICE,
    schema: WebConfigSchema,
    root: paths.root,
  });
  const config = WebConfigSchema.parse({ ...fileConfig, ...options.overrides });
  const token = await resolveToken(config, paths.root);
  const diskGuard =
    options.diskGuard ?? (await openDiskGuard({ root: paths.root, logger, signal: options.signal }));
  const stemCacheDir = await resolveStemCacheDir(options.stemCacheDir, logger);
  // The same cleanup as `imk cleanup`: a stem cache moved by stemCache.dir is pruned too.
  if (options.cleanupSchedule !== false)
    await startCleanupSchedule({
      root: paths.root,
      logger,
      signal: options.signal,
      ...(stemCacheDir !== undefined && { extraCacheDirs: [stemCacheDir] }),
    });
  const app = await createWebServer({
    root: paths.root,
    ...(stemCacheDir !== undefined && { stemCacheDir }),
    config,
    logger,
    token,
    diskGuard,
    services: options.services,
    retry: options.retry,
    requestsPlugin: options.requestsPlugin,
    urlRetrievers: options.urlRetrievers,
    syncStatus: options.syncStatus,
    signal: options.signal,
  });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new ImkError(
        'WEB_PORT_IN_USE',
        `port ${config.port} on ${config.host} is already in use (another imk up or imk run web?); choose another with --port N or web.port in config/web.yaml`,
        { cause: error },
      );
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw new ImkError(
        'WEB_BAD_HOST',
        `cannot listen on ${config.host}: no such address on this machine; check web.host`,
        {
          cause: error,
        },
      );
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  // How it is protected, never the token itself; named auth_mode, for a field named `auth` is a secret to
  // the log's redaction (ntfy's ?auth=), which showed the mode as [redacted].
  const authMode = token ? 'token' : 'none (loopback only)';
  logger.info({ url, auth_mode: authMode }, `dashboard listening on ${url} (auth: ${authMode})`);
  const closed = new Promise<void>((resolve) => {
    const close = (): void => {
      app.close().then(resolve, (error: unknown) => {
        logger.error({ err: errorMessage(error) }, 'web server did not close cleanly');
        resolve();
      });
    };
    if (options.signal.aborted) close();
    else options.signal.addEventListener('abort', close, { once: true });
  });
  options.onListening?.(url);
  return { url, app, closed };
}

/** Runs the web dashboard until the signal aborts (the shape every service's start function has). */
export async function startWeb(options: StartWebOptions): Promise<void> {
  const running = await listenWeb(options);
  await running.closed;
  options.logger.info('web dashboard stopped');
}
