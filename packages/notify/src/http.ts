import { ImkError } from '@imk/errors';
import { redactText } from '@imk/log';

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Said in the error instead of the URL (which may hold a token in its query). */
  what: string;
}

/**
 * One HTTP request; a status outside 2xx, a timeout or a refused connection is an ImkError with code
 * NOTIFY_SEND_FAILED whose message never holds the URL's query, a header or the body.
 */
export async function httpRequest(request: HttpRequest): Promise<{ status: number; text: string }> {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal,
      redirect: 'manual',
    });
  } catch (error) {
    const cause =
      error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : '';
    throw new ImkError(
      'NOTIFY_SEND_FAILED',
      `${request.what}: ${timeout.aborted ? `no answer within ${request.timeoutMs} ms` : redactText(cause)}`,
      { retryable: true },
    );
  }
  const text = await response.text().catch(() => '');
  if (response.status < 200 || response.status > 299)
    throw new ImkError(
      'NOTIFY_SEND_FAILED',
      `${request.what}: HTTP ${response.status}${text ? ` (${redactText(text.slice(0, 200).trim())})` : ''}`,
      // A refused login or a wrong address does not heal by itself, but the user may fix it: keep trying.
      { retryable: true, details: { status: response.status } },
    );
  return { status: response.status, text };
}

/** The origin and path of a URL, without user info or query: safe for a log line. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
