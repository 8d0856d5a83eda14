import { envSecret, fileSecret, isSecretProblem } from '@imk/config';
import { fileReadProblem } from '@imk/fs-safe';
import Fastify, { type FastifyInstance } from 'fastify';
import { ImkError } from '@imk/errors';
import {
  clientErrorHandler,
  frameworkErrors,
  isLoopbackHost,
  registerBearerAuth,
  registerHttpGuard,
} from '@imk/http-guard';
import type { Logger } from '@imk/log';
import { retrieverRoutes, type UrlRetriever } from '@imk/retriever-sdk';
import { youtubeRetriever } from './youtube-retriever.ts';
import { API_DEFAULTS } from './config.ts';

/** Env variable holding the API's bearer token. */
export const API_TOKEN_ENV = 'IMK_API_TOKEN';

export interface StartRetrieverHttpOptions {
  root: string;
  logger: Logger;
  signal: AbortSignal;
  /** @default API_DEFAULTS.host (loopback) */
  host?: string;
  /** 0 picks a free port. @default API_DEFAULTS.port */
  port?: number;
  /** Bearer token; required when `host` is not loopback. @default $IMK_API_TOKEN, else the content of tokenFile */
  token?: string;
  tokenFile?: string;
  /** The URL retrievers the API serves (the CLI passes every retriever). @default YouTube (yt-dlp) only */
  retrievers?: readonly UrlRetriever[];
  /** Further Host names the API answers to (a reverse proxy's name); see web.allowedHosts. */
  allowedHosts?: readonly string[];
}

export interface RetrieverHttp {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:8790 */
  url: string;
}

/**
 * Runs POST /api/requests on its own HTTP server (when the retrievers run without the web service).
 * Listens on 127.0.0.1 by default; off loopback it refuses to start without a token, and then every
 * request needs `Authorization: Bearer <token>` (wrong tokens are throttled: 429 with Retry-After). The
 * dashboard's protections apply (@imk/http-guard): Host checked, cross-origin and non-JSON changes
 * refused, security headers. Closes when `signal` aborts.
 */
export async function startRetrieverHttp(options: StartRetrieverHttpOptions): Promise<RetrieverHttp> {
  const host = options.host ?? API_DEFAULTS.host;
  const token = await resolveToken(options, host);
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024, frameworkErrors, clientErrorHandler });
  registerHttpGuard(app, { bindHost: host, allowedHosts: options.allowedHosts ?? [] });
  if (token !== undefined)
    registerBearerAuth(app, {
      token,
      unauthorizedMessage:
        'send "Authorization: Bearer <token>" (the token in IMK_API_TOKEN or http.tokenFile)',
    });
  await app.register(retrieverRoutes, {
    root: options.root,
    logger: options.logger,
    retrievers: options.retrievers ?? [youtubeRetriever],
    signal: options.signal,
  });
  const url = await app.listen({ host, port: options.port ?? API_DEFAULTS.port });
  options.logger.info({ url, auth: token !== undefined }, 'retriever API listening');
  options.signal.addEventListener('abort', () => void app.close(), { once: true });
  return { app, url };
}

async function resolveToken(options: StartRetrieverHttpOptions, host: string): Promise<string | undefined> {
  let token = options.token ?? envSecret(process.env, API_TOKEN_ENV);
  if (!token && options.tokenFile !== undefined) {
    try {
      token = await fileSecret(options.tokenFile);
    } catch (error) {
      if (!isSecretProblem(error) || error.code !== 'SECRET_MISSING') throw error;
      throw new ImkError(
        'API_TOKEN_FILE',
        `cannot read the API token file ${options.tokenFile}: ${fileReadProblem(error.cause)}`,
        { cause: error },
      );
    }
  }
  if (token && token.length < 16)
    throw new ImkError(
      'API_TOKEN_WEAK',
      'the API token is shorter than 16 characters; make one with `openssl rand -hex 24`',
    );
  if (!token && !isLoopbackHost(host))
    throw new ImkError(
      'API_TOKEN_REQUIRED',
      `the retriever API is set to listen on ${host}, reachable from other machines, without a token; set ${API_TOKEN_ENV} (e.g. \`export ${API_TOKEN_ENV}=$(openssl rand -hex 24)\`) or http.tokenFile, or listen on 127.0.0.1`,
    );
  return token || undefined;
}
