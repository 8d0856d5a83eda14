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
 * does not parse, an empty JSON body), as refusals of ours: a code of HTTP_GUARD_ERRORS and a message that
 * names the limit and what to do. They answered with Fastify's codes (FST_ERR_CTP_BODY_TOO_LARGE), which
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
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
    return {
      error: 'REQUEST_BODY_INVALID',
      message: `the request body of ${where} is ${code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'empty' : 'not valid JSON'}, but its Content-Type says JSON: send a JSON document`,
    };
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
