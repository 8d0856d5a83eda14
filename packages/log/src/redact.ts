/** What a hidden value is replaced with, in logs, config errors, doctor reports and /readyz. */
export const REDACTED = '[redacted]';

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
// ...or is ARL-like (the Deezer session cookie) or ends in "key", except names of keys that hold no secret.
const PUBLIC_KEYS = new Set(['cachekey', 'hostkey', 'publickey', 'sortkey', 'objectkey', 'idempotencykey']);

const squash = (name: string): string => name.replace(/[^a-z0-9]/gi, '').toLowerCase();

/**
 * True for a setting, field or parameter name that holds a secret: secret, password, passphrase, token,
 * credential, cookie, anything ending in "key" (apiKey, privateKey, `key`), ARL (`arl`, `deezerArl`).
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
  return n.endsWith('key') && !PUBLIC_KEYS.has(n);
}

/** True when any segment of a dotted config path (`nasSync.backends.s3.secretAccessKey`) is secret. */
export function isSecretPath(path: readonly PropertyKey[] | string): boolean {
  const segments = typeof path === 'string' ? path.split('.') : path.map(String);
  return segments.some(isSecretName);
}

// scheme://userinfo@ — the userinfo (user:password, or a bare token) goes, the host stays.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]+@/gi;
// ?token=…, &api_key=…, ;sig=… — values of secret-named query parameters.
const QUERY_PARAM = /([?&;])([^=&#\s"'<>]+)=([^&#\s"'<>]*)/g;
// "password": "…", password='…', PASSWORD=value — quoted values after : or =, bare values after = only
// (a bare word after ":" is prose: "token: use at least 16 characters").
const NAMED_VALUE =
  /(["']?)([A-Za-z_][\w.-]*)\1(\s*)(:|=)(\s*)("(?:[^"\\\n]|\\.)*"|'[^'\n]*'|(?<==\s*)[^\s,;&}\])"']+)/g;
const AUTH_HEADER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/g;
// The path of a URL (after scheme://host), up to its query, fragment or the end of the word.
const URL_PATH = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/?#"'<>]+)(\/[^\s?#"'<>]*)/gi;

/**
 * A path segment that is a key rather than a name: webhook services put the token in the path
 * (discord.com/api/webhooks/<id>/<token>, hooks.slack.com/services/T…/B…/<secret>, IFTTT's key,
 * Telegram's bot<id>:<token>). At least 20 characters of letters, digits and `-_~:.` with a digit and
 * a letter, and either both cases, a colon, or 32 or more hex digits. A slug (`a-long-title-2023`) or a
 * file name (`take2.flac`) is not one.
 */
function isTokenLike(segment: string): boolean {
  if (segment.length < 20 || !/^[A-Za-z0-9._~:-]+$/.test(segment)) return false;
  if (!/[0-9]/.test(segment) || !/[A-Za-z]/.test(segment)) return false;
  if (/\.[A-Za-z0-9]{2,5}$/.test(segment) && !segment.includes(':')) return false;
  if (/[a-z]/.test(segment) && /[A-Z]/.test(segment)) return true;
  return segment.includes(':') || /^[0-9a-f]{32,}$/i.test(segment);
}

const redactPath = (path: string): string =>
  path
    .split('/')
    .map((segment) => (isTokenLike(segment) ? REDACTED : segment))
    .join('/');

/**
 * Sites whose links name public things by long ids in the path (a YouTube channel `UC…`, a Spotify track,
 * a Deezer playlist): the songs and channels a user asked for, which a log must still show. A secret in
 * their user info or a secret-named query parameter is still removed.
 */
const PUBLIC_MEDIA_HOSTS = [
  'youtube.com',
  'youtu.be',
  'youtube-nocookie.com',
  'spotify.com',
  'deezer.com',
  'soundcloud.com',
  'bandcamp.com',
  'vimeo.com',
  'dailymotion.com',
  'mixcloud.com',
];

function isPublicMediaOrigin(origin: string): boolean {
  const host = origin
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .replace(/^.*@/, '')
    .replace(/:\d+$/, '')
    .toLowerCase();
  return PUBLIC_MEDIA_HOSTS.some((site) => host === site || host.endsWith(`.${site}`));
}

/**
 * `TOKEN=$(openssl rand -hex 24)`: an instruction telling the user how to make a secret, not a secret
 * (a value cannot start with `$(` without being a command to run). Redacting it left a broken command
 * (`export IMK_WEB__TOKEN=[redacted] rand -hex 24)`) in the very message that says what to do.
 */
const isShellSubstitution = (value: string): boolean => value.startsWith('$(');

/**
 * Removes credentials from free text (an error message, a log line, a doctor summary): the user:password
 * of URLs, secret-named query parameters, `"secretName": "value"` / `SECRET=value` pairs, and bearer or
 * basic credentials. What remains still says what went wrong and where.
 */
export function redactText(text: string): string {
  return text
    .replace(URL_USERINFO, `$1${REDACTED}@`)
    .replace(URL_PATH, (all, origin: string, path: string) =>
      isPublicMediaOrigin(origin) ? all : `${origin}${redactPath(path)}`,
    )
    .replace(QUERY_PARAM, (all, sep: string, name: string) =>
      isSecretName(decodeSafe(name)) ? `${sep}${name}=${REDACTED}` : all,
    )
    .replace(
      NAMED_VALUE,
      (all, quote: string, name: string, s1: string, op: string, s2: string, value: string) =>
        isSecretName(name) && !/^"?\[redacted/.test(value) && !isShellSubstitution(value)
          ? `${quote}${name}${quote}${s1}${op}${s2}${value.startsWith('"') ? `"${REDACTED}"` : REDACTED}`
          : all,
    )
    .replace(AUTH_HEADER, `$1 ${REDACTED}`);
}

/**
 * A URL of the user's own configuration (a webhook, a notification server, a media server, a remote) as a
 * log line or an error message shows it: scheme, host and port only. Its path and query are where such
 * services keep tokens (a Discord webhook's, a Plex token, a topic that is its own password).
 */
export function urlForLog(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.host === '' ? `${parsed.protocol}//${REDACTED}` : `${parsed.protocol}//${parsed.host}`;
  } catch {
    return '(invalid URL)';
  }
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
