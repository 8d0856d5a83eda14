import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { replyRefusal } from './errors.ts';
import { bearerToken, sameSecret } from './secret-compare.ts';
import { createLoginThrottle, type LoginThrottle } from './throttle.ts';

export interface BearerAuthOptions {
  /** The token every request must bring as `Authorization: Bearer <token>`. */
  token: string;
  /** Failed tokens per client address. @default a new createLoginThrottle() */
  throttle?: LoginThrottle;
  /** Paths anyone may reach (health checks, a login page). */
  publicPaths?: ReadonlySet<string>;
  /**
   * Which requests wait out the throttle: every one (an API), or only those that bring a bearer token (the
   * dashboard, whose login page and cookie session must keep working). @default 'all'
   */
  throttleScope?: 'all' | 'bearer';
  /**
   * Another proof of access when no right bearer token came (the dashboard's login cookie): 'allowed' lets
   * the request through, a reply (e.g. 403) refuses it, 'anonymous' goes on to the 401.
   */
  otherwise?: (request: FastifyRequest, reply: FastifyReply) => 'allowed' | 'anonymous' | FastifyReply;
  /** What an anonymous request gets instead of the 401 (a browser: a redirect to the login page), if anything. */
  onAnonymous?: (request: FastifyRequest, reply: FastifyReply) => FastifyReply | undefined;
  /** The 401's message: how to get in. */
  unauthorizedMessage: string;
}

/** 429 with Retry-After, for a client that sent too many wrong tokens. */
export function tooManyAttempts(reply: FastifyReply, waitSec: number): FastifyReply {
  return replyRefusal(
    reply.header('retry-after', String(waitSec)),
    'TOO_MANY_ATTEMPTS',
    `too many wrong tokens from this address; try again in ${waitSec} s`,
  );
}

/**
 * The one bearer-token check of every HTTP server (the dashboard, the retriever API): the token compared in
 * constant time, wrong tokens throttled per address (429 with Retry-After), a 401 with WWW-Authenticate
 * saying how to get in. Returns the throttle (a login form shares it).
 */
export function registerBearerAuth(app: FastifyInstance, options: BearerAuthOptions): LoginThrottle {
  const throttle = options.throttle ?? createLoginThrottle();
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (options.publicPaths?.has(path)) return;
    const wait = throttle.retryAfterSec(request.ip);
    const given = bearerToken(request.headers.authorization);
    if (wait > 0 && (given !== undefined || options.throttleScope !== 'bearer'))
      return tooManyAttempts(reply, wait);
    if (given !== undefined && sameSecret(given, options.token)) {
      throttle.succeeded(request.ip);
      return;
    }
    const other = options.otherwise?.(request, reply) ?? 'anonymous';
    if (other === 'allowed') return;
    if (other !== 'anonymous') return other;
    if (given !== undefined) throttle.failed(request.ip);
    const instead = options.onAnonymous?.(request, reply);
    if (instead !== undefined) return instead;
    return replyRefusal(
      reply.header('www-authenticate', 'Bearer realm="instrumental-maker"'),
      'UNAUTHORIZED',
      options.unauthorizedMessage,
    );
  });
  return throttle;
}
