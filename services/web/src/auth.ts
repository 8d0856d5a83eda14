import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ImkError } from '@imk/errors';
import type { WebConfig } from './config.ts';

export const SESSION_COOKIE = 'imk_session';
/** Paths anyone may reach: health checks for orchestrators, the login form and its stylesheet. */
const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/login', '/static/style.css', '/favicon.ico']);

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1';
  return false;
}

/**
 * The token in force: `token`, else the content of `tokenFile` (relative to the root, like every path in
 * the config). Off loopback a token is required and start-up is refused without one, so a dashboard is
 * never exposed to a network unprotected.
 */
export async function resolveToken(config: WebConfig, root: string): Promise<string | undefined> {
  let token = config.token;
  if (token === undefined && config.tokenFile !== undefined) {
    try {
      token = (await readFile(resolve(root, config.tokenFile), 'utf8')).trim();
    } catch (error) {
      throw new ImkError(
        'WEB_TOKEN_FILE',
        `cannot read the web token file ${config.tokenFile}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    if (token.length < 16)
      throw new ImkError(
        'WEB_TOKEN_WEAK',
        `the token in ${config.tokenFile} is shorter than 16 characters; use e.g. \`openssl rand -hex 24\``,
      );
  }
  if (token === undefined && !isLoopbackHost(config.host))
    throw new ImkError(
      'WEB_TOKEN_REQUIRED',
      `the dashboard is set to listen on ${config.host}, which is reachable from other machines, and no token is set; ` +
        'set IMK_WEB__TOKEN (e.g. `export IMK_WEB__TOKEN=$(openssl rand -hex 24)`) or web.tokenFile, or listen on 127.0.0.1',
    );
  return token;
}

/** The cookie value: an HMAC of the token, so the token itself never sits in a browser's cookie jar. */
function sessionValue(token: string): string {
  return createHmac('sha256', token).update('imk-web-session-v1').digest('hex');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

function wantsHtml(request: FastifyRequest): boolean {
  return request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
}

/** Adds the token check (Bearer header or session cookie) and the login/logout routes. */
export function registerAuth(app: FastifyInstance, token: string | undefined, loginPage: string): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  if (token === undefined) return;
  const session = sessionValue(token);

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (PUBLIC_PATHS.has(path)) return;
    const header = request.headers.authorization;
    if (header?.startsWith('Bearer ') && same(header.slice(7).trim(), token)) return;
    const value = cookie(request, SESSION_COOKIE);
    if (value !== undefined && same(value, session)) return;
    if (wantsHtml(request)) return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`);
    return reply.code(401).header('www-authenticate', 'Bearer realm="instrumental-maker"').send({
      error: 'UNAUTHORIZED',
      message: 'a token is required: send "Authorization: Bearer <token>" or log in at /login',
    });
  });

  app.get('/login', async (_request, reply) => reply.type('text/html; charset=utf-8').send(loginPage));
  app.post('/login', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const given = typeof body.token === 'string' ? body.token : '';
    const next =
      typeof body.next === 'string' && body.next.startsWith('/') && !body.next.startsWith('//')
        ? body.next
        : '/';
    if (!same(given, token))
      return reply
        .code(401)
        .type('text/html; charset=utf-8')
        .send(loginPage.replace('<!--error-->', '<p class="error">Wrong token.</p>'));
    const secure = request.protocol === 'https' ? '; Secure' : '';
    return reply
      .header(
        'set-cookie',
        `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/; Max-Age=2592000${secure}`,
      )
      .redirect(next, 303);
  });
  app.post('/logout', async (_request, reply) =>
    reply
      .header('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`)
      .redirect('/login', 303),
  );
}
