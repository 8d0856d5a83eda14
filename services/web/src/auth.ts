import { createHmac } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  bearerToken,
  changesState,
  createLoginThrottle,
  registerBearerAuth,
  safeRedirectPath,
  sameSecret,
  type LoginThrottle,
} from '@imk/http-guard';
import { CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, cookieHeader, readCookie } from './cookies.ts';
import { registerLoginRoutes } from './login.ts';
import { replyError } from './errors.ts';

export { isLoopbackHost } from '@imk/http-guard';
export { resolveToken } from './token.ts';
export { CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE } from './cookies.ts';

/** Paths anyone may reach: health checks for orchestrators, the login form and its stylesheet. */
const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/login', '/static/style.css', '/favicon.ico']);

/** How a request proved it may see everything: a token, the login cookie, or no token configured. */
export type Access = 'bearer' | 'cookie' | 'open' | undefined;

export interface WebAuth {
  access: (request: FastifyRequest) => Access;
  throttle: LoginThrottle;
}

/** Values derived from the token, so the token itself never sits in a browser's cookie jar. */
const derived = (token: string, purpose: string): string =>
  createHmac('sha256', token).update(purpose).digest('hex');

function wantsHtml(request: FastifyRequest): boolean {
  return request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
}

const hasJsonBody = (request: FastifyRequest): boolean =>
  /^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(request.headers['content-type'] ?? '');

/**
 * The token check (Bearer header or session cookie), failed-token throttling, the CSRF token of cookie
 * sessions, and the login/logout routes. Without a token every request is allowed (loopback only).
 */
export function registerAuth(app: FastifyInstance, token: string | undefined, loginPage: string): WebAuth {
  const throttle = createLoginThrottle();
  if (token === undefined) return { access: () => 'open', throttle };
  const session = derived(token, 'imk-web-session-v1');
  const csrf = derived(token, 'imk-web-csrf-v1');
  const access = (request: FastifyRequest): Access => {
    const given = bearerToken(request.headers.authorization);
    if (given !== undefined && sameSecret(given, token)) return 'bearer';
    const value = readCookie(request, SESSION_COOKIE);
    return value !== undefined && sameSecret(value, session) ? 'cookie' : undefined;
  };

  registerBearerAuth(app, {
    token,
    throttle,
    publicPaths: PUBLIC_PATHS,
    // The page and its cookie session work while a client that sent wrong tokens waits.
    throttleScope: 'bearer',
    otherwise: (request, reply) => {
      if (access(request) !== 'cookie') return 'anonymous';
      // A session from before the CSRF cookie existed gets one now.
      if (readCookie(request, CSRF_COOKIE) !== csrf)
        void reply.header('set-cookie', cookieHeader(CSRF_COOKIE, csrf, request, false));
      // Multipart (upload) is a body browsers send cross-site without asking: it must carry the token.
      if (changesState(request.method) && !hasJsonBody(request) && request.headers['content-type']) {
        const sent = request.headers[CSRF_HEADER];
        if (typeof sent !== 'string' || !sameSecret(sent, csrf))
          return replyError(reply, 'CSRF_TOKEN_REQUIRED', {
            message: `send the ${CSRF_HEADER} header (the value of the ${CSRF_COOKIE} cookie) with uploads made with a login session, or use "Authorization: Bearer <token>"`,
          });
      }
      return 'allowed';
    },
    onAnonymous: (request, reply) =>
      wantsHtml(request)
        ? reply.redirect(`/login?next=${encodeURIComponent(safeRedirectPath(request.url))}`)
        : undefined,
    unauthorizedMessage: 'a token is required: send "Authorization: Bearer <token>" or log in at /login',
  });

  registerLoginRoutes(app, { token, session, csrf, loginPage, throttle });
  return { access, throttle };
}
