import type { Socket } from 'node:net';
import { HTTP_GUARD_ERRORS, type HttpGuardErrorCode } from './errors.ts';
import { CACHE_CONTROL, SECURITY_HEADERS } from './headers.ts';

/** The three answers Node's parser leaves to the server: code and message. */
function clientRefusal(code: string | undefined): { error: HttpGuardErrorCode; message: string } {
  if (code === 'HPE_HEADER_OVERFLOW')
    return {
      error: 'HEADERS_TOO_LARGE',
      message:
        "the request headers (its URL, cookies and the rest) are larger than this server takes: send a shorter request, or clear this site's cookies",
    };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return { error: 'REQUEST_TIMEOUT', message: 'the request did not arrive in time: send it again' };
  return { error: 'BAD_REQUEST', message: 'the request is not valid HTTP' };
}

/**
 * Fastify's `clientErrorHandler` option (pass it to `Fastify({ clientErrorHandler })`): a request Node's
 * parser refuses before Fastify has one (headers over the size limit, a malformed request, one sent too
 * slowly) was answered with Fastify's `{"error": "Request Header Fields Too Large", "statusCode": 431}`, with
 * no code and none of the security headers. Answered here as `{ error, message }` with a code of the
 * guard's catalogue (HEADERS_TOO_LARGE, BAD_REQUEST, REQUEST_TIMEOUT) and those headers; the connection is
 * then closed, as Node does.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  // A connection reset, or a socket already gone: nobody is there to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const refusal = clientRefusal(error.code);
  const status = HTTP_GUARD_ERRORS[refusal.error].httpStatus;
  const body = JSON.stringify(refusal);
  const headers = {
    ...SECURITY_HEADERS,
    'cache-control': CACHE_CONTROL,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  };
  if (socket.writable) {
    const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n${lines.join('\r\n')}\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};
