import { REDACTED, redactUrl } from './redact-url.ts';

export { REDACTED, urlForLog } from './redact-url.ts';

// Names compared without case or separators: `secret_access_key`, `secretAccessKey` and `SECRET-ACCESS-KEY`
// are one name. A name is secret when it contains one of these words...
const SECRET_WORDS = [
  'secret',
  'password',
  'passwd',
  'passphrase',
  'token',
  'credential',
  'apikey',
  'privatekey',
  'accesskey',
  'authorization',
  'cookie',
  'signature',
];
// ...or is ARL-like (the Deezer session cookie), or is a key of a kind that is secret. A name ending in "key" is
// not secret by that alone: most keys of this project are names of things (a stem cache's `key`, an S3 object
// `Key`, `sortKey`, `hostKey`), and redacting them hid what a log line was about ("key":"[redacted]"). Only
// these kinds of key hold a secret (apiKey, privateKey, sshKey, encryptionKey…; accessKey and secretKey are
// caught by the words above).
const SECRET_KEY_KINDS = [
  'api',
  'private',
  'ssh',
  'signing',
  'encryption',
  'master',
  'license',
  'client',
  'session',
  'auth',
];

const squash = (name: string): string => name.replace(/[^a-z0-9]/gi, '').toLowerCase();

/**
 * True for a setting, field or parameter name that holds a secret: secret, password, passphrase, token,
 * credential, cookie, a secret kind of key (apiKey, privateKey, accessKey; not a bare `key` nor `cacheKey`),
 * ARL (`arl`, `deezerArl`).
 * `tokenFile` and the like match too: a careless user may have written the secret there instead of a path.
 */
export function isSecretName(name: string): boolean {
  const n = squash(name);
  if (n === '') return false;
  if (SECRET_WORDS.some((word) => n.includes(word))) return true;
  if (n === 'arl' || n.startsWith('arl') || n.endsWith('arl')) return true;
  if (n === 'sig' || n.startsWith('xamz')) return true;
  // rclone's `pass=` (sftp, ftp, smb connection strings), ntfy's `?auth=`, `pwd`.
  if (n === 'pass' || n === 'auth' || n === 'pwd') return true;
  return n.endsWith('key') && SECRET_KEY_KINDS.some((kind) => n.endsWith(`${kind}key`));
}

/**
 * True for a URL query parameter that holds a secret: a secret name, or a bare `key` (`?key=…` is how Google,
 * Home Assistant webhooks and many APIs take an API key in a URL; in a URL it is never a cache or object name).
 */
function isSecretQueryParam(name: string): boolean {
  return isSecretName(name) || squash(name) === 'key';
}

/** True when any segment of a dotted config path (`nasSync.backends.s3.secretAccessKey`) is secret. */
export function isSecretPath(path: readonly PropertyKey[] | string): boolean {
  const segments = typeof path === 'string' ? path.split('.') : path.map(String);
  return segments.some(isSecretName);
}

// Every name below is read up to 100 characters (a URL scheme 32), and only from its start: an unbounded
// name made each of these patterns rescan the rest of a long word from every position in it, so one log
// call with a 40 kB word took 17 s (quadratic; a 1 MB line, hours). No setting or parameter name is longer.
// ?token=…, &api_key=…, ;sig=… — values of secret-named query parameters.
const QUERY_PARAM = /([?&;])([^=&#\s"'<>?;]{1,100})=([^&#\s"'<>]*)/g;
// "password": "…", password='…', PASSWORD=value — quoted values after : or =, bare values after = only
// (a bare word after ":" is prose: "token: use at least 16 characters").
const NAMED_VALUE =
  /(?<![\w.-])(["']?)([A-Za-z_][\w.-]{0,99})\1(\s*)(:|=)(\s*)("(?:[^"\\\n]|\\.)*"|'[^'\n]*'|(?<==\s*)[^\s,;&}\])"']+)/g;
const AUTH_HEADER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/g;
// A whole URL, scheme://…, up to a space, a quote or an angle bracket.
const URL_ANY = /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]{0,31}):\/\/([^\s"'<>]*)/gi;

/**
 * `TOKEN=$(openssl rand -hex 24)`: an instruction telling the user how to make a secret, not a secret
 * (a value cannot start with `$(` without being a command to run). Redacting it left a broken command
 * (`export IMK_WEB__TOKEN=[redacted] rand -hex 24)`) in the very message that says what to do.
 */
const isShellSubstitution = (value: string): boolean => value.startsWith('$(');

/**
 * Removes credentials from free text (an error message, a log line, a doctor summary): the credentials
 * of URLs (see redactUrl), secret-named query parameters, `"secretName": "value"` / `SECRET=value` pairs, and bearer or
 * basic credentials. What remains still says what went wrong and where.
 */
export function redactText(text: string): string {
  return (
    text
      .replace(URL_ANY, (_all, scheme: string, rest: string) => redactUrl(scheme, rest))
      // Before the named values: in `auth=Bearer <token>` those took the scheme word for the value and left
      // the token after it.
      .replace(AUTH_HEADER, `$1 ${REDACTED}`)
      .replace(QUERY_PARAM, (all, sep: string, name: string) =>
        isSecretQueryParam(decodeSafe(name)) ? `${sep}${name}=${REDACTED}` : all,
      )
      .replace(
        NAMED_VALUE,
        (all, quote: string, name: string, s1: string, op: string, s2: string, value: string) =>
          isSecretName(name) && !/^"?\[redacted/.test(value) && !isShellSubstitution(value)
            ? `${quote}${name}${quote}${s1}${op}${s2}${value.startsWith('"') ? `"${REDACTED}"` : REDACTED}`
            : all,
      )
  );
}

function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * A copy of `value` fit for a log or a report: values under secret-named keys replaced at any depth,
 * strings passed through redactText, errors reduced to their type, code and redacted message and stack.
 */
export function redactValue(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value) || depth > 12) return '[…]';
  seen.add(value);
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      type: value.name,
      message: redactText(value.message),
      ...(code !== undefined && { code }),
      ...(value.stack !== undefined && { stack: redactText(value.stack) }),
    };
  }
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1, seen));
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (isSecretName(key) && item !== undefined && item !== null && typeof item !== 'boolean')
      out[key] = REDACTED;
    else out[key] = redactValue(item, depth + 1, seen);
  }
  return out;
}
