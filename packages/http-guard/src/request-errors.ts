import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { replyRefusal } from './errors.ts';
import type { Refusal } from './request-checks.ts';

export interface RequestErrorOptions {
  /**
   * Where the user raises the body limit, said in the refusal of a body too large (`bodyLimitKb in
   * config/web.yaml`). Undefined: the limit is fixed, and the refusal says to send less.
   */
  bodyLimitSetting?: string;
}

/** A size for people: bytes below 1 KiB, then KiB, then MiB. */
function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;
}

/**
 * Fastify's own refusals of a request's body, before any route ran (a body over the body limit, JSON that
 * does not parse or holds "__proto__", an empty JSON body), and @fastify/static's of a path with a NUL byte
 * or "..", as refusals of ours: a code of HTTP_GUARD_ERRORS and a message that names the limit and what
 * to do. They answered with Fastify's codes (FST_ERR_CTP_BODY_TOO_LARGE), which
 * no catalogue names, and "Request body is too large" without the limit or a way to raise it. Undefined for
 * any other error.
 */
export function requestErrorRefusal(
  error: unknown,
  request: FastifyRequest,
  options: RequestErrorOptions = {},
): Refusal | undefined {
  const code = (error as Partial<FastifyError> | undefined)?.code;
  const where = `${request.method} ${request.url.split('?')[0] ?? ''}`;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const limit = request.routeOptions.bodyLimit ?? request.server.initialConfig.bodyLimit ?? 0;
    const length = Number(request.headers['content-length']);
    const sent = Number.isFinite(length) && length > 0 ? ` (${size(length)})` : '';
    const raise =
      options.bodyLimitSetting === undefined
        ? 'send a smaller request'
        : `send a smaller request, or raise ${options.bodyLimitSetting}`;
    return {
      error: 'REQUEST_TOO_LARGE',
      message: `the request body${sent} is larger than the ${size(limit)} this server takes (${where}): ${raise}`,
    };
  }
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
    return {
      error: 'REQUEST_BODY_INVALID',
      message: `the request body of ${where} is empty, but its Content-Type says JSON: send a JSON document`,
    };
  // Fastify's parser refuses a "__proto__" key (and "constructor": {"prototype": …}) with the same error as
  // text that does not parse, keeping no cause: the message says both, or a valid document looked broken.
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY')
    return {
      error: 'REQUEST_BODY_INVALID',
      message: `the request body of ${where} is not valid JSON, or holds a "__proto__" key or "constructor": {"prototype": …}, which are refused; its Content-Type says JSON: send a JSON document without them`,
    };
  // @fastify/static refuses a path with ".." or a NUL byte: nothing is there to serve.
  if (code === 'FST_STATIC_FORBIDDEN_PATH')
    return { error: 'ROUTE_NOT_FOUND', message: `nothing is at ${where} on this server` };
  return undefined;
}

/**
 * Answers `error` when it is one of Fastify's refusals of a request body (requestErrorRefusal), and says
 * whether it did; the app's error handler answers every other error.
 */
export function replyRequestError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  options: RequestErrorOptions = {},
): boolean {
  const refusal = requestErrorRefusal(error, request, options);
  if (refusal === undefined) return false;
  void replyRefusal(reply, refusal.error, refusal.message);
  return true;
}
