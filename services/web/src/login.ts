import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HTTP_GUARD_ERRORS, safeRedirectPath, sameSecret, type LoginThrottle } from '@imk/http-guard';
import { CSRF_COOKIE, SESSION_COOKIE, cookieHeader } from './cookies.ts';
import { WEB_ERRORS } from './errors.ts';

// The login form's two refusals, each with its catalogue's status (the page and the JSON answer alike).
const LOGIN_REFUSALS = {
  TOO_MANY_ATTEMPTS: HTTP_GUARD_ERRORS.TOO_MANY_ATTEMPTS.httpStatus,
  WRONG_TOKEN: WEB_ERRORS.WRONG_TOKEN.httpStatus,
} as const;

interface LoginOptions {
  token: string;
  session: string;
  csrf: string;
  /** login.html: `{{next}}` is where to go after logging in, `<!--error-->` where a problem is told. */
  loginPage: string;
  throttle: LoginThrottle;
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * GET/POST /login and POST /logout. The form posts form-encoded (the one route that takes it, so it works
 * without script); a program may post JSON `{ "token", "next" }`. Wrong tokens are throttled per client
 * (429 with Retry-After); `next` may only lead to a path on this server.
 */
export function registerLoginRoutes(app: FastifyInstance, options: LoginOptions): void {
  const page = (next: string, error = ''): string =>
    options.loginPage
      .replace('{{next}}', escapeHtml(safeRedirectPath(next)))
      .replace('<!--error-->', error ? `<p class="error">${escapeHtml(error)}</p>` : '');
  const answer = (
    request: FastifyRequest,
    reply: FastifyReply,
    code: keyof typeof LOGIN_REFUSALS,
    next: string,
    error: string,
  ) => {
    void reply.code(LOGIN_REFUSALS[code]);
    return (request.headers['content-type'] ?? '').includes('json')
      ? reply.send({ error: code, message: error })
      : reply.type('text/html; charset=utf-8').send(page(next, error));
  };

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.get<{ Querystring: { next?: string } }>('/login', async (request, reply) =>
    reply.type('text/html; charset=utf-8').send(page(request.query.next ?? '/')),
  );

  app.post('/login', { config: { accepts: ['form'] } }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const next = safeRedirectPath(body.next);
    const wait = options.throttle.retryAfterSec(request.ip);
    if (wait > 0) {
      void reply.header('retry-after', String(wait));
      return answer(
        request,
        reply,
        'TOO_MANY_ATTEMPTS',
        next,
        `Too many wrong tokens: try again in ${wait} s.`,
      );
    }
    if (!sameSecret(typeof body.token === 'string' ? body.token : '', options.token)) {
      options.throttle.failed(request.ip);
      return answer(request, reply, 'WRONG_TOKEN', next, 'Wrong token.');
    }
    options.throttle.succeeded(request.ip);
    return reply
      .header('set-cookie', [
        cookieHeader(SESSION_COOKIE, options.session, request, true),
        cookieHeader(CSRF_COOKIE, options.csrf, request, false),
      ])
      .redirect(next, 303);
  });

  app.post('/logout', async (request, reply) =>
    reply
      .header('set-cookie', [
        cookieHeader(SESSION_COOKIE, '', request, true),
        cookieHeader(CSRF_COOKIE, '', request, false),
      ])
      .redirect('/login', 303),
  );
}
