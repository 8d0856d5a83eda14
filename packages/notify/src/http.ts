import { ImkError } from '@imk/errors';
import { cutText } from '@imk/fs-safe';
import { redactText, urlForLog } from '@imk/log';
import './errors.ts';

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Said in the error instead of the URL (which may hold a token in its query). */
  what: string;
  /** The caller reads the answer (at most MAX_BODY_BYTES of it); otherwise a 2xx body is not waited for. */
  readBody?: boolean;
  /** Further text never to be told in an error (an ntfy topic, in the body): see requestSecrets. */
  hide?: readonly string[];
  /**
   * What to check when the server refuses the request (HTTP 401 or 403): the field holding the token and
   * where to get a new one. A bare "HTTP 401" named the server but left the user to guess which setting.
   */
  whenRefused?: string;
}

/** Headers whose values say nothing secret; every other one (a token, a signature) is hidden. */
const PLAIN_HEADERS = new Set(['content-type', 'user-agent', 'accept', 'x-imk-event', 'x-imk-delivery']);
/** Shorter text is not looked for: it would cut ordinary words out of a receiver's message. */
const MIN_HIDDEN = 3;

/**
 * What of a request must not come back in an error: a receiver may echo the request in its answer (Express'
 * `Cannot POST /api/webhook/<id>`, a proxy quoting the Authorization it refused), and the URL's path and
 * query, its login and the headers' values hold the tokens. Longest first, raw and decoded.
 */
function requestSecrets(request: HttpRequest): string[] {
  const found = new Set<string>(request.hide ?? []);
  const add = (text: string) => {
    found.add(text);
    found.add(decodeSafe(text));
  };
  try {
    const url = new URL(request.url);
    add(url.username);
    add(url.password);
    if (url.pathname !== '/') add(url.pathname);
    if (url.search) {
      add(`${url.pathname}${url.search}`);
      add(url.search.slice(1));
      for (const value of url.searchParams.values()) {
        found.add(value);
        found.add(encodeURIComponent(value));
      }
    }
  } catch {
    // Not a URL fetch takes: it fails before anything is sent.
  }
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (PLAIN_HEADERS.has(name.toLowerCase())) continue;
    found.add(value);
    // `Bearer <token>`, `MediaBrowser Token="<key>"`: the credential alone too, as an echo may quote it
    // (not the scheme's word: "Token invalid" stays readable).
    const credential = value.replace(/^[A-Za-z][\w-]*\s+/, '');
    found.add(credential);
    for (const [, quoted] of credential.matchAll(/"([^"]*)"/g)) if (quoted) found.add(quoted);
  }
  return [...found].filter((text) => text.length >= MIN_HIDDEN).sort((a, b) => b.length - a.length);
}

/** `text` without any of `secrets` (each replaced by [redacted]), then by redactText's rules. */
function scrub(text: string, secrets: readonly string[]): string {
  let said = text;
  for (const secret of secrets) said = said.split(secret).join('[redacted]');
  return redactText(said);
}

function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a stray "%": taken as written
  }
}

/** The most of an answer that is read: a receiver that streams without end must not fill the memory. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Up to `max` bytes of a body, then the rest is dropped (the connection closed). A cut body is kept as cut. */
async function readCapped(response: Response, max: number): Promise<string> {
  if (!response.body) return '';
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // Cut short or timed out: what arrived is all there is.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

/**
 * A URL with a login in it (`https://user:pass@host/…`, how basic auth is usually written) as fetch takes
 * it: fetch refuses such a URL, so the login moves into an `Authorization: Basic` header, as curl does
 * (an Authorization the sender set itself, e.g. ntfy's token, wins).
 */
function withLoginAsHeader(
  url: string,
  headers: Record<string, string> | undefined,
): { url: string; headers: Record<string, string> | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, headers };
  }
  if (parsed.username === '' && parsed.password === '') return { url, headers };
  const login = `${decodeSafe(parsed.username)}:${decodeSafe(parsed.password)}`;
  parsed.username = '';
  parsed.password = '';
  const own = Object.keys(headers ?? {}).some((name) => name.toLowerCase() === 'authorization');
  return {
    url: parsed.href,
    headers: own
      ? headers
      : { ...headers, Authorization: `Basic ${Buffer.from(login, 'utf8').toString('base64')}` },
  };
}

/** Node's codes for a certificate it does not trust, and what the user can do about each. */
const UNTRUSTED =
  "the server's certificate is not signed by an authority this host trusts (a self-signed one, or a home CA): give imk that authority's certificate with NODE_EXTRA_CA_CERTS=/path/to/ca.pem in its environment";
const TLS_FIXES: Readonly<Record<string, string>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: UNTRUSTED,
  SELF_SIGNED_CERT_IN_CHAIN: UNTRUSTED,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: UNTRUSTED,
  UNABLE_TO_GET_ISSUER_CERT: UNTRUSTED,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: UNTRUSTED,
  CERT_HAS_EXPIRED: "the server's certificate has expired: renew it on the server",
  ERR_TLS_CERT_ALTNAME_INVALID:
    "the server's certificate is not made out to the host name in the url: use the name it was made for",
};

function tlsFix(code: unknown): string | undefined {
  return typeof code === 'string' ? TLS_FIXES[code] : undefined;
}

/**
 * A redirect is not followed (a token or a signed body goes to no address the user did not give): say so,
 * and where it pointed, told by scheme, host and port as any URL is.
 */
function redirectFix(response: Response, url: string): string {
  if (response.status < 300 || response.status > 399) return '';
  const location = response.headers.get('location');
  let to = '';
  try {
    if (location)
      to = ` (to ${urlForLog(new URL(location, url).href)}; \`curl -I\` on the url shows the whole address)`;
  } catch {
    // A Location that is no URL: the advice stands without it.
  }
  return `; a redirect is not followed, so that a token or a signed body never goes to an address you did not give: set the url to where it points${to}`;
}

/**
 * One HTTP request; a status outside 2xx, a timeout or a refused connection is an ImkError with code
 * NOTIFY_SEND_FAILED whose message never holds the URL's query, a header or the body.
 */
export async function httpRequest(request: HttpRequest): Promise<{ status: number; text: string }> {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  let response: Response;
  const target = withLoginAsHeader(request.url, request.headers);
  try {
    response = await fetch(target.url, {
      method: request.method,
      headers: target.headers,
      body: request.body,
      signal,
      redirect: 'manual',
    });
  } catch (error) {
    const cause =
      error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : '';
    // fetch refuses a header it cannot send by quoting it whole, and headers carry the tokens.
    if (error instanceof TypeError && error.cause === undefined && /header/i.test(error.message))
      throw new ImkError(
        'NOTIFY_SEND_FAILED',
        `${request.what}: the request was not sent: a header holds a character HTTP does not allow (a line break or a non-Latin-1 character in a token or key?)`,
      );
    const tls = tlsFix((error as { cause?: { code?: unknown } }).cause?.code);
    throw new ImkError(
      'NOTIFY_SEND_FAILED',
      `${request.what}: ${timeout.aborted ? `no answer within ${request.timeoutMs} ms` : scrub(cause, requestSecrets(request))}${tls ? `; ${tls}` : ''}`,
    );
  }
  const ok = response.status >= 200 && response.status <= 299;
  // The status is the answer: a body nobody reads is not waited for (an endless one would hold the send
  // until the timeout and fill the memory); an error's is read only for the first lines of its message.
  let text = '';
  if (ok && !request.readBody) await response.body?.cancel().catch(() => undefined);
  else text = await readCapped(response, ok ? MAX_BODY_BYTES : 4096);
  if (!ok)
    throw new ImkError(
      'NOTIFY_SEND_FAILED',
      `${request.what}: HTTP ${response.status}${text ? ` (${cutText(scrub(text, requestSecrets(request)), 200).trim()})` : ''}${
        (response.status === 401 || response.status === 403) && request.whenRefused !== undefined
          ? `; ${request.whenRefused}`
          : redirectFix(response, request.url)
      }`,
      // A refused login or a wrong address does not heal by itself, but the user may fix it: keep trying.
      { details: { status: response.status } },
    );
  return { status: response.status, text };
}
