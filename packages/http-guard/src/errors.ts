import type { FastifyReply } from 'fastify';
import { POLICY, defineErrors } from '@imk/errors';

/**
 * Every code @imk/http-guard answers a request with before any route runs, with its policy (retry or not,
 * HTTP status); see @imk/errors defineErrors. The guard answers through replyRefusal, which takes the status
 * from here, so a code and its status cannot part.
 */
export const HTTP_GUARD_ERRORS = defineErrors('@imk/http-guard', {
  // No token, or a wrong one: the client must bring the right one (a person gives it).
  UNAUTHORIZED: { retryable: false, httpStatus: 401 },
  // A Host header this server does not answer to (DNS rebinding), or a change from another site's page.
  HOST_NOT_ALLOWED: { retryable: false, httpStatus: 403 },
  CROSS_ORIGIN_REFUSED: { retryable: false, httpStatus: 403 },
  // A body that is not JSON on a route that takes only JSON.
  UNSUPPORTED_MEDIA_TYPE: { retryable: false, httpStatus: 415 },
  // A body over the server's body limit (Fastify's FST_ERR_CTP_BODY_TOO_LARGE): the message says the limit.
  REQUEST_TOO_LARGE: { retryable: false, httpStatus: 413 },
  // A body whose Content-Type says JSON that does not parse, or is empty (FST_ERR_CTP_INVALID_JSON_BODY).
  REQUEST_BODY_INVALID: { retryable: false, httpStatus: 400 },
  // No route has this path (Fastify's own 404 said "Not Found" where a code belongs).
  ROUTE_NOT_FOUND: { retryable: false, httpStatus: 404 },
  // A path routed for other methods only (PUT on a GET route): the answer's Allow header lists them.
  METHOD_NOT_ALLOWED: { retryable: false, httpStatus: 405 },
  // A path that is not a URL (a % not followed by two hex digits, bytes that are not UTF-8).
  BAD_URL: { retryable: false, httpStatus: 400 },
  // A part of the path longer than the router takes (a 300-character job id).
  URL_TOO_LONG: { retryable: false, httpStatus: 414 },
  // Request headers (a URL, cookies) over Node's limit (16 KiB by default), refused before Fastify sees them.
  HEADERS_TOO_LARGE: { retryable: false, httpStatus: 431 },
  // A request that is not HTTP as Node's parser reads it (a malformed request line or header).
  BAD_REQUEST: { retryable: false, httpStatus: 400 },
  // The client sent its request too slowly (Node's requestTimeout): the same request may pass another time.
  REQUEST_TIMEOUT: { retryable: true, httpStatus: 408 },
  // Too many wrong tokens from one address: the same request succeeds after Retry-After.
  TOO_MANY_ATTEMPTS: { retryable: true, httpStatus: 429 },
  // An allowedHosts entry of the server's config that is no host name (a URL, a path): the server does not
  // start until a person fixes the config.
  ALLOWED_HOST_INVALID: POLICY.unavailable,
});

export type HttpGuardErrorCode = keyof typeof HTTP_GUARD_ERRORS;

/** Answers `{ error: code, message }` with the status the catalogue gives the code. */
export function replyRefusal(reply: FastifyReply, code: HttpGuardErrorCode, message: string): FastifyReply {
  return reply.code(HTTP_GUARD_ERRORS[code].httpStatus).send({ error: code, message });
}
