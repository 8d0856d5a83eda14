import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { replyRefusal } from './errors.ts';
import { CACHE_CONTROL, SECURITY_HEADERS } from './headers.ts';

/** Longest part of a request shown in a message (the path of a 60 kB URL is not echoed whole). */
const SHOWN_MAX = 200;

const shown = (path: string): string => (path.length > SHOWN_MAX ? `${path.slice(0, SHOWN_MAX)}…` : path);

/** The path of a request, without its query. */
const pathOf = (url: string): string => url.split('?')[0] ?? '';

/**
 * A matcher of one route pattern as Fastify writes it: `:name` stands for one path segment or the part of
 * one before a literal (`:kind.png`), `*` for the rest of the path.
 */
function patternMatcher(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') source += '.*';
    else if (c === ':' && pattern[i + 1] === ':') {
      source += ':'; // "::" is a literal colon
      i++;
    } else if (c === ':') {
      while (i + 1 < pattern.length && /[\w-]/.test(pattern[i + 1]!)) i++;
      source += '[^/]+?';
    } else source += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** The routes of an app by pattern, to tell "no such path" from "not with this method". */
export interface RouteTable {
  /** The methods some route takes at `path` (a request path, no query), sorted; none when no route has it. */
  methodsAt(path: string): string[];
}

/**
 * Records every route added to `app` from now on (register it before any route): the table behind the
 * guard's answers to a request no route takes.
 */
export function recordRoutes(app: FastifyInstance): RouteTable {
  const routes = new Map<string, { matcher: RegExp; methods: Set<string> }>();
  app.addHook('onRoute', (route: RouteOptions) => {
    const known = routes.get(route.url) ?? { matcher: patternMatcher(route.url), methods: new Set() };
    for (const method of [route.method].flat()) known.methods.add(method.toUpperCase());
    // Fastify answers HEAD wherever it answers GET (exposeHeadRoutes).
    if (known.methods.has('GET')) known.methods.add('HEAD');
    routes.set(route.url, known);
  });
  return {
    methodsAt(path) {
      const methods = new Set<string>();
      for (const { matcher, methods: taken } of routes.values())
        if (matcher.test(path)) for (const method of taken) methods.add(method);
      return [...methods].sort();
    },
  };
}

/**
 * Answers a request no route took, in the form of every other error (`{ error, message }`, a code of the
 * guard's catalogue): `405 METHOD_NOT_ALLOWED` with an `Allow` header when the path is routed for other
 * methods (a `PUT` where only `GET` is taken), else `404 ROUTE_NOT_FOUND`. Fastify answered both with its
 * own `{"error": "Not Found", "statusCode": 404}`, which has no code, and never said 405.
 */
export function replyNoRoute(request: FastifyRequest, reply: FastifyReply, table: RouteTable): FastifyReply {
  const path = pathOf(request.url);
  const method = request.method.toUpperCase();
  const allowed = table.methodsAt(path);
  if (allowed.length > 0 && !allowed.includes(method))
    return replyRefusal(
      reply.header('allow', allowed.join(', ')),
      'METHOD_NOT_ALLOWED',
      `${method} is not taken at ${shown(path)}; it takes ${allowed.join(', ')}`,
    );
  return replyRefusal(reply, 'ROUTE_NOT_FOUND', `nothing is at ${method} ${shown(path)} on this server`);
}

/**
 * Fastify's `frameworkErrors` option (pass it to `Fastify({ frameworkErrors })`): a request whose path is
 * not a URL (`%FF`, a lone `%`) or has a part longer than the router takes is refused before any hook
 * runs, which Fastify did with its own codes (FST_ERR_BAD_URL, FST_ERR_MAX_PARAM_LENGTH) and without the
 * security headers every other answer carries. Answered here as `400 BAD_URL` and `414 URL_TOO_LONG`.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.raw.setHeader(name, value);
  reply.raw.setHeader('cache-control', CACHE_CONTROL);
  const path = shown(pathOf(request.url));
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH')
    void replyRefusal(
      reply,
      'URL_TOO_LONG',
      `a part of the path ${path} is longer than this server takes: no job id, file or stem name is that long`,
    );
  else
    void replyRefusal(
      reply,
      'BAD_URL',
      `the path ${path} is not a valid URL (a "%" must be followed by two hex digits that spell UTF-8): encode it with encodeURIComponent`,
    );
}
