/** What a hidden value is replaced with, in logs, config errors, doctor reports and /readyz. */
export const REDACTED = '[redacted]';

// How apprise's own URL templates (apprise 1.2, `Apprise().details()`) place a private token. Schemes whose
// host is no server but a token, an API key or a webhook id: tgram://<bot id>:<token>/<chat>,
// pbul://<access token>, pover://<user key>@<app token>, join://<api key>/<device>, discord://<webhook
// id>/<token>, slack://<token a>/<token b>/<token c>, sendgrid://<api key>:<from>, mailgun://user@host:<api
// key>. Everything after scheme:// is a secret there, but the query (?format=…, cleaned by name as any).
const TOKEN_HOST_SCHEMES = new Set([
  'boxcar',
  'dingtalk',
  'discord',
  'faast',
  'fcm',
  'flock',
  'gchat',
  'gitter',
  'guilded',
  'ifttt',
  'join',
  'kavenegar',
  'kumulos',
  'lametric',
  'lametrics',
  'line',
  'mailgun',
  'msg91',
  'msgbird',
  'msteams',
  'notifico',
  'o365',
  'onesignal',
  'opsgenie',
  'pagerduty',
  'pbul',
  'popcorn',
  'pover',
  'prowl',
  'psafer',
  'psafers',
  'push',
  'pushed',
  'reddit',
  'schan',
  'sendgrid',
  'slack',
  'smtp2go',
  'sns',
  'sparkpost',
  'spontit',
  'spush',
  'strmlabs',
  'tgram',
  'tweet',
  'twist',
  'twitter',
  'wxteams',
]);
// Schemes whose host is a server and whose path holds the token: gotify://<host>/<app token>,
// mmost://<host>/<token>, apprise://<host>/<token>, zulip://<bot>@<org>/<token>, hassio://<host>/<token>,
// ntfy://<host>/<topic> (a topic on a public server is its own password; ntfy://<topic> names none).
const TOKEN_PATH_SCHEMES = new Set([
  'apprise',
  'apprises',
  'gotify',
  'gotifys',
  'hassio',
  'hassios',
  'mmost',
  'mmosts',
  'notica',
  'noticas',
  'ntfy',
  'ntfys',
  'pjet',
  'pjets',
  'ryver',
  'ses',
  'zulip',
]);

/**
 * A path segment that is a key rather than a name: webhook services put the token in the path
 * (discord.com/api/webhooks/<id>/<token>, hooks.slack.com/services/T…/B…/<secret>, IFTTT's key,
 * Telegram's bot<id>:<token>). At least 20 characters of letters, digits and `-_~:.` with a digit and
 * a letter, and either both cases, a colon, or 32 or more hex digits. A slug (`a-long-title-2023`) or a
 * file name (`take2.flac`) is not one.
 */
export function isTokenLike(segment: string): boolean {
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

function isPublicMediaHost(hostAndPort: string): boolean {
  const host = hostAndPort.replace(/:\d+$/, '').toLowerCase();
  return PUBLIC_MEDIA_HOSTS.some((site) => host === site || host.endsWith(`.${site}`));
}

/**
 * A host that is a key, whatever the scheme: a "port" that is not a number (tgram://<id>:<token>,
 * mailgun://…@host:<api key>), or a host shaped like a token (pbul://o.Gn5kj6…, a scheme apprise added
 * later). The host of a token-path scheme with no dot in it (ntfy://<topic>) is its topic.
 */
function isKeyHost(scheme: string, host: string): boolean {
  const port = /:([^:]*)$/.exec(host.replace(/^\[[^\]]*\]/, ''))?.[1];
  if (port !== undefined && port !== '' && !/^\d+$/.test(port)) return true;
  if (isTokenLike(host)) return true;
  return (
    (scheme === 'ntfy' || scheme === 'ntfys') && host !== '' && !/[.:[]/.test(host) && host !== 'localhost'
  );
}

/**
 * One URL of free text without its credentials: the user info of any scheme://user:password@ (up to the
 * last @ before the path: a password may hold one), the whole of an apprise URL whose host is a token,
 * every path segment of one whose path is, a host that is a key, and token-like path segments of any
 * other URL but the public media sites'. Punctuation closing a sentence stays.
 */
export function redactUrl(scheme: string, rest: string): string {
  // (the ] of a [redacted] already there is not punctuation)
  const closing = /(?<!\[redacted)[.,;:!)\]]+$/.exec(rest)?.[0] ?? '';
  const url = rest.slice(0, rest.length - closing.length);
  const lower = scheme.toLowerCase();
  const authorityEnd = url.search(/[/?#]/);
  const authority = authorityEnd < 0 ? url : url.slice(0, authorityEnd);
  const after = authorityEnd < 0 ? '' : url.slice(authorityEnd);
  const queryStart = after.search(/[?#]/);
  const path = queryStart < 0 ? after : after.slice(0, queryStart);
  const query = queryStart < 0 ? '' : after.slice(queryStart);
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? `${REDACTED}@` : '';
  const host = authority.slice(at + 1);
  if (TOKEN_HOST_SCHEMES.has(lower)) return `${scheme}://${REDACTED}${query}${closing}`;
  const shownHost = isKeyHost(lower, host) ? REDACTED : host;
  const shownPath = TOKEN_PATH_SCHEMES.has(lower)
    ? path.replace(/[^/]+/g, REDACTED)
    : isPublicMediaHost(host)
      ? path
      : redactPath(path);
  return `${scheme}://${userinfo}${shownHost}${shownPath}${query}${closing}`;
}

/**
 * A URL of the user's own configuration (a webhook, a notification server, a media server, a remote) as a
 * log line or an error message shows it: scheme, host and port only. Its path and query are where such
 * services keep tokens (a Discord webhook's, a Plex token, a topic that is its own password); a host that
 * is itself a token (an apprise URL) is hidden too.
 */
export function urlForLog(url: string): string {
  try {
    const parsed = new URL(url);
    const scheme = parsed.protocol.slice(0, -1).toLowerCase();
    return parsed.host === '' || TOKEN_HOST_SCHEMES.has(scheme) || isKeyHost(scheme, parsed.host)
      ? `${parsed.protocol}//${REDACTED}`
      : `${parsed.protocol}//${parsed.host}`;
  } catch {
    return '(invalid URL)';
  }
}
