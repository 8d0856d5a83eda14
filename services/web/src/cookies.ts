import type { FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'imk_session';
/** Readable by the page's script, which sends it back as the X-CSRF-Token header (double submit). */
export const CSRF_COOKIE = 'imk_csrf';
export const CSRF_HEADER = 'x-csrf-token';

/** A Set-Cookie value: SameSite=Strict, whole site, 30 days (an empty value deletes the cookie). */
export function cookieHeader(
  name: string,
  value: string,
  request: FastifyRequest,
  httpOnly: boolean,
): string {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  const age = value === '' ? 0 : 2592000;
  return `${name}=${value}${httpOnly ? '; HttpOnly' : ''}; SameSite=Strict; Path=/; Max-Age=${age}${secure}`;
}

/** One cookie of the request, or undefined. */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key !== name) continue;
    try {
      return decodeURIComponent(rest.join('='));
    } catch {
      return undefined;
    }
  }
  return undefined;
}
