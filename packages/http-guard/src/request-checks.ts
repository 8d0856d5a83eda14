import type { IncomingHttpHeaders } from 'node:http';
import type { HttpGuardErrorCode } from './errors.ts';
import { parseAuthority, type HostPolicy } from './hosts.ts';

/** Bodies a route takes besides JSON. A route says so in its config: `{ config: { accepts: ['multipart'] } }`. */
export type BodyKind = 'multipart' | 'form';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Request bodies this route accepts besides JSON (checked by @imk/http-guard). */
    accepts?: readonly BodyKind[];
  }
}

/** A refusal: a stable code (its HTTP status is the catalogue's, HTTP_GUARD_ERRORS) and a message that says what to do. */
export interface Refusal {
  error: HttpGuardErrorCode;
  message: string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const changesState = (method: string): boolean => !SAFE_METHODS.has(method.toUpperCase());

/**
 * A state-changing request must come from this server's own pages (or from a program, which sends no
 * Origin): `Sec-Fetch-Site`, when the browser sends it, must be `same-origin` (or `none`: typed by the
 * user); `Origin`, when sent, must be the scheme and Host the request was made to, or a configured host
 * (any scheme: a reverse proxy may end TLS in front of us).
 */
export function checkOrigin(
  headers: IncomingHttpHeaders,
  policy: HostPolicy,
  /** The scheme the request arrived by: `https://host` is another origin than `http://host`. */
  scheme: 'http' | 'https' = 'http',
): Refusal | undefined {
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    return crossOrigin(`the browser says this request comes from another site (Sec-Fetch-Site: ${site})`);
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  const host = parseAuthority(headers.host ?? '');
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return crossOrigin(`Origin "${origin.slice(0, 100)}" is not an origin`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password)
    return crossOrigin(`Origin "${origin.slice(0, 100)}" is not this server`);
  const from = parseAuthority(url.host);
  const defaultPort = url.protocol === 'https:' ? 443 : 80;
  const fromPort = from?.port ?? defaultPort;
  const sameScheme = url.protocol === `${scheme}:`;
  if (from && host && sameScheme && from.name === host.name && fromPort === (host.port ?? defaultPort))
    return undefined;
  if (from && policy.isConfigured({ name: from.name, port: fromPort })) return undefined;
  return crossOrigin(`Origin ${url.origin} is not this server (${headers.host ?? 'no Host'})`);
}

const crossOrigin = (why: string): Refusal => ({
  error: 'CROSS_ORIGIN_REFUSED',
  message: `${why}: changes are accepted only from this dashboard's own pages or from programs (no Origin header)`,
});

/**
 * Bodies are JSON. Browsers send form-encoded, multipart and text/plain bodies to any site without asking
 * first, so those are refused unless the route takes them (upload: multipart; the login form: form).
 * A request without a body (retry, logout) needs no Content-Type.
 */
export function checkBodyType(
  headers: IncomingHttpHeaders,
  accepts: readonly BodyKind[] = [],
): Refusal | undefined {
  const type = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === '') {
    const empty =
      headers['transfer-encoding'] === undefined &&
      (headers['content-length'] === undefined || headers['content-length'] === '0');
    return empty ? undefined : unsupported('a body without Content-Type');
  }
  if (type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type)) return undefined;
  if (type === 'multipart/form-data' && accepts.includes('multipart')) return undefined;
  if (type === 'application/x-www-form-urlencoded' && accepts.includes('form')) return undefined;
  return unsupported(type);
}

const unsupported = (what: string): Refusal => ({
  error: 'UNSUPPORTED_MEDIA_TYPE',
  message: `${what} is not accepted here: send JSON (Content-Type: application/json)`,
});
