import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyMultipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { resolvePaths } from '@imk/config';
import { errorMessage, isImkError } from '@imk/errors';
import { redactText, type Logger } from '@imk/log';
import type { DiskGuard } from '@imk/ops';
import { clientErrorHandler, frameworkErrors, registerHttpGuard } from '@imk/http-guard';
import { createRetrieverRoutes, type UrlRetriever } from '@imk/retriever-sdk';
import { registerAuth } from './auth.ts';
import { WEB_SERVICE, type WebConfig } from './config.ts';
import type { CancelJob, RetryJob, ServiceState, WebContext } from './context.ts';
import { registerEventRoutes } from './routes/events.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerJobRoutes } from './routes/jobs.ts';
import { registerMetricsRoute } from './routes/metrics.ts';
import { registerNotificationRoutes } from './routes/notifications.ts';
import { registerOutputRoutes } from './routes/outputs.ts';
import { registerMixerRoutes } from './routes/mixer.ts';
import { registerSubmitRoutes } from './routes/submit.ts';
import { registerSubscriptionRoutes } from './routes/subscriptions.ts';
import { createJobsView } from './system/jobs.ts';
import { createCancel } from './system/cancel.ts';
import { createRetry } from './system/retry.ts';
import { NO_SYNC_STATUS, createSyncView, type SyncStatusSource } from './system/sync-status.ts';

/** The static page: plain HTML, JS and CSS shipped with the service (no front-end build). */
export const PUBLIC_DIR = join(import.meta.dirname, '..', 'public');

export interface CreateWebServerOptions {
  root: string;
  config: WebConfig;
  logger: Logger;
  /** The resolved access token (see resolveToken); undefined = open (loopback only). */
  token: string | undefined;
  /** Shared with the worker in one process, so the dashboard shows the state the worker obeys. */
  diskGuard?: DiskGuard;
  /** Services of this process and their state. @default only "web" */
  services?: () => ServiceState[];
  /** Puts a failed job back into its queue. @default fsqueue's retryFailed plus a ledger record */
  retry?: RetryJob;
  /** Cancels a queued or running job. @default fsqueue's cancelJob plus a ledger record */
  cancel?: CancelJob;
  /** The retrievers' HTTP routes (POST /api/requests). @default the routes over `urlRetrievers` */
  requestsPlugin?: FastifyPluginAsync;
  /** URL retrievers for POST /api/requests, in order (the CLI composes them). @default none */
  urlRetrievers?: readonly UrlRetriever[];
  /** Where sync status comes from (the CLI passes nas-sync's). @default no sync shown */
  syncStatus?: SyncStatusSource;
  /** The worker's stem cache (its `stemCache.dir`), read by the page's mixer. @default <root>/state/cache/stems */
  stemCacheDir?: string;
  /** Ends live event streams when aborted. */
  signal: AbortSignal;
}

/** Builds the Fastify app (not yet listening). */
export async function createWebServer(options: CreateWebServerOptions): Promise<FastifyInstance> {
  const paths = resolvePaths(options.root);
  const logger = options.logger;
  const app = Fastify({
    logger: false,
    bodyLimit: options.config.bodyLimitKb * 1024,
    forceCloseConnections: true,
    frameworkErrors,
    clientErrorHandler,
  });
  const jobs = createJobsView(paths, logger);
  // First of all hooks: Host, Origin and body type are checked and security headers set on every answer.
  // Its error handler answers a body too large or not JSON with the limit and the setting; ours the rest.
  registerHttpGuard(app, {
    bindHost: options.config.host,
    allowedHosts: options.config.allowedHosts,
    bodyLimitSetting: 'bodyLimitKb in config/web.yaml',
    onError: (error, request, reply) => {
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      if (status >= 500) logger.error({ err: errorMessage(error), url: request.url }, 'request failed');
      void reply.code(status).send({
        error: isImkError(error) ? error.code : ((error as { code?: string }).code ?? 'ERROR'),
        message: errorMessage(error),
      });
    },
  });
  const auth = registerAuth(app, options.token, await readFile(join(PUBLIC_DIR, 'login.html'), 'utf8'));
  const ctx: WebContext = {
    paths,
    config: options.config,
    logger,
    jobs,
    sync: createSyncView(options.syncStatus ?? NO_SYNC_STATUS, logger),
    diskGuard: options.diskGuard,
    // Details of services are error texts: credentials in them (a URL with a password) never leave.
    services: () => (options.services?.() ?? [{ name: WEB_SERVICE, state: 'running' }]).map(redactState),
    retry: options.retry ?? createRetry(paths, () => jobs.ledger()),
    cancel: options.cancel ?? createCancel(paths, () => jobs.ledger()),
    signal: options.signal,
    stemCacheDir: options.stemCacheDir ?? paths.stemCache,
    access: auth.access,
  };
  app.addHook('onClose', (_instance, done) => {
    jobs.close();
    ctx.sync.close();
    done();
  });

  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/static/', index: false });
  await app.register(fastifyMultipart, {
    limits: { fileSize: options.config.uploadLimitMb * 1024 * 1024, files: 1 },
  });

  app.get('/', (_request, reply) => reply.sendFile('index.html', PUBLIC_DIR));
  // Every browser asks for /favicon.ico on every page: an icon drawn in the repository (SVG), not a 404 in
  // the console. Public (auth.ts), as the login page shows it too.
  app.get('/favicon.ico', (_request, reply) =>
    reply
      .type('image/svg+xml')
      .header('cache-control', 'public, max-age=86400')
      .sendFile('favicon.svg', PUBLIC_DIR),
  );
  registerHealthRoutes(app, ctx);
  registerMetricsRoute(app, ctx);
  registerJobRoutes(app, ctx);
  registerEventRoutes(app, ctx);
  registerOutputRoutes(app, ctx);
  registerNotificationRoutes(app, ctx);
  registerSubmitRoutes(app, ctx);
  registerMixerRoutes(app, ctx);
  registerSubscriptionRoutes(app, ctx);
  await app.register(
    options.requestsPlugin ??
      createRetrieverRoutes({
        root: paths.root,
        logger,
        retrievers: options.urlRetrievers ?? [],
        signal: options.signal,
      }),
  );
  return app;
}

function redactState(state: ServiceState): ServiceState {
  return {
    ...state,
    ...(state.detail !== undefined && { detail: redactText(state.detail) }),
    ...(state.reasons !== undefined && { reasons: state.reasons.map(redactText) }),
  };
}
