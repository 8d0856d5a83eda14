import { ImkError } from '@imk/errors';
import type { RetryOptions } from '@imk/retriever-sdk';
import type { YoutubeSettings } from './config.ts';
// Loads the catalogue, so an error made here knows its policy even when the package index is not imported.
import './errors.ts';
import type { YOUTUBE_ERRORS } from './errors.ts';

interface Rule {
  /** Its policy (a property of the video, or passing trouble worth another attempt) is in YOUTUBE_ERRORS. */
  code: keyof typeof YOUTUBE_ERRORS;
  pattern: RegExp;
  explain: (url: string) => string;
}

const COOKIES_HINT =
  'export the cookies of a browser signed in to YouTube into a Netscape cookies file and set cookiesFile in ' +
  'config/youtube-retriever.yaml (see docs/retrievers.md, "Bot checks and cookies")';
const UPDATE_HINT =
  'update yt-dlp (`pipx upgrade yt-dlp`, or `python3 -m pip install -U yt-dlp`; distribution packages lag behind), then run `imk doctor`';

// Checked in order: the specific YouTube situations first, then HTTP status, then plain network trouble.
// The patterns are yt-dlp's own messages (YoutubeIE and the generic HTTP layer).
const RULES: Rule[] = [
  {
    // Python's cookie jar refusing the file (a traceback, no ERROR: line); it quotes the file's path.
    code: 'COOKIES_UNUSABLE',
    pattern: /does not look like a Netscape format cookies file|cookiejar\.LoadError/i,
    explain: (url) =>
      `yt-dlp cannot read the cookies file while fetching ${url}: it is not a Netscape cookies.txt file; ${COOKIES_HINT}`,
  },
  {
    code: 'YT_BOT_CHECK',
    pattern: /confirm you.?re not a bot|not a bot|bot detection/i,
    explain: (url) =>
      `YouTube asked for a sign-in to prove this is not a bot (${url}); it does this to servers and VPN addresses. Use a cookies file: ${COOKIES_HINT}; also ${UPDATE_HINT}`,
  },
  {
    code: 'YT_AGE_RESTRICTED',
    pattern: /confirm your age|age[- ]restricted|inappropriate for some users|age-gate/i,
    explain: (url) =>
      `the video is age-restricted (${url}); YouTube requires a signed-in adult account: ${COOKIES_HINT}`,
  },
  {
    code: 'YT_PRIVATE',
    pattern: /private video|video is private/i,
    explain: (url) =>
      `the video is private (${url}); only accounts it is shared with can fetch it. If yours is one: ${COOKIES_HINT}`,
  },
  {
    code: 'YT_MEMBERS_ONLY',
    pattern: /members[- ]only|join this channel/i,
    explain: (url) =>
      `the video is for channel members only (${url}); a member account's cookies are needed: ${COOKIES_HINT}`,
  },
  {
    code: 'YT_GEO_BLOCKED',
    pattern: /available (?:in|from) your (?:country|location)|geo.?restrict|blocked it in your country/i,
    explain: (url) =>
      `the video is not available in this server's country (${url}); it can only be fetched through a connection elsewhere (e.g. extraArgs: ["--proxy", "socks5://…"])`,
  },
  {
    code: 'YT_NOT_LIVE_YET',
    pattern: /premieres in|live event will begin|this live event|is_upcoming|Premiere will begin/i,
    explain: (url) =>
      `the video is a premiere or live stream that has not finished yet (${url}); request it again once it can be watched`,
  },
  {
    code: 'YT_UNAVAILABLE',
    pattern:
      /video unavailable|video is unavailable|has been removed|no longer available|account .* terminated|does not exist/i,
    explain: (url) =>
      `the video is unavailable (${url}): removed, made private, or the link is wrong; check it in a browser`,
  },
  {
    code: 'YT_DLP_OUTDATED',
    pattern:
      /nsig extraction failed|signature extraction failed|Unable to extract (?:initial|yt|player|video)|Failed to extract any player response|please report this issue.*(?:youtube|Youtube)/i,
    explain: (url) =>
      `yt-dlp could not read the page (${url}); this usually means the installed yt-dlp is too old for the site's current layout: ${UPDATE_HINT}`,
  },
  {
    code: 'UNSUPPORTED_URL',
    pattern: /Unsupported URL/i,
    explain: (url) =>
      `yt-dlp does not know how to fetch ${url}; give the link of a video page (e.g. https://www.youtube.com/watch?v=…)`,
  },
  {
    code: 'FORMAT_UNAVAILABLE',
    pattern: /Requested format is not available|No video formats found/i,
    explain: (url) =>
      `the requested format is not offered for ${url}; try another mode (audio/video) or audioFormat "best"`,
  },
  {
    code: 'RATE_LIMITED',
    pattern: /HTTP Error 429|Too Many Requests/i,
    explain: (url) =>
      `the site is rate-limiting this address (HTTP 429) for ${url}; wait a while, fetch fewer at once, or use a cookies file: ${COOKIES_HINT}`,
  },
  {
    code: 'NOT_FOUND',
    pattern: /HTTP Error 404|404: Not Found/i,
    explain: (url) => `nothing was found at ${url} (HTTP 404); check the link`,
  },
  {
    code: 'ACCESS_DENIED',
    pattern: /HTTP Error 40[13]/i,
    explain: (url) =>
      `the site refused access to ${url} (HTTP 401/403); on YouTube this usually means yt-dlp is too old or needs cookies: ${UPDATE_HINT}; or ${COOKIES_HINT}`,
  },
  {
    // Any other answer of the 4xx kind (410 Gone, 400, 451, 414) is the site's verdict on the link, not
    // trouble on the way: tried again, it answers the same. Not so 408 (a timeout) and 416 (a resume that
    // yt-dlp starts over).
    code: 'LINK_REFUSED',
    pattern: /HTTP Error 4(?!08|16)\d\d/i,
    explain: (url) =>
      `the site refused ${url} (an HTTP 4xx answer: the link is wrong, gone, or not served to this address); it is not tried again: check the link in a browser`,
  },
  {
    code: 'NETWORK',
    pattern:
      /HTTP Error 5\d\d|timed out|Connection (?:refused|reset|aborted)|Remote end closed|IncompleteRead|Name or service not known|Temporary failure in name resolution|No route to host|Network is unreachable|ContentTooShort|content too short|Downloaded \d+ bytes, expected \d+ bytes|\[download\] Got error|did not (?:receive|get) (?:any|all) data|SSL: |EOF occurred|Unable to download (?:webpage|video data|JSON)/i,
    explain: (url) =>
      `network trouble while fetching ${url}; check the connection (and any proxy), then try again`,
  },
];

/** The ERROR lines of yt-dlp's stderr, without the "please report this issue" boilerplate. */
export function errorLines(stderr: string): string[] {
  return stderr
    .split(/\r?\n/)
    .filter((line) => line.startsWith('ERROR:'))
    .map((line) => line.replace(/;?\s*please report this issue on\s+https?:\/\/\S+.*$/i, '').trim());
}

/**
 * Turns yt-dlp's failure into an ImkError with a stable code and a message saying what happened and what to
 * do; its code's policy (YOUTUBE_ERRORS) tells whether another attempt may help. yt-dlp's own line is kept in the message.
 */
export function mapYtDlpError(stderr: string, url: string, exitCode?: number | null): ImkError {
  const lines = errorLines(stderr);
  const haystack = lines.length > 0 ? lines.join('\n') : stderr;
  const rule = RULES.find((candidate) => candidate.pattern.test(haystack));
  const said = lines.at(-1) ?? lastLine(stderr) ?? `exit code ${exitCode ?? 'unknown'}`;
  if (!rule)
    return new ImkError('YT_DLP_FAILED', `yt-dlp failed for ${url}: ${said}`, {
      details: { url, stderr: tail(stderr) },
    });
  return new ImkError(rule.code, `${rule.explain(url)} (yt-dlp said: ${said})`, {
    details: { url, stderr: tail(stderr) },
  });
}

export function isRetryableYtDlpError(error: unknown): boolean {
  // An aborted fetch stops, whatever ABORTED means to a queue worker.
  return error instanceof ImkError && error.policy?.retryable === true && error.code !== 'ABORTED';
}

function lastLine(text: string): string | undefined {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .at(-1);
}

function tail(text: string): string {
  return text.length > 2000 ? text.slice(-2000) : text;
}

/** How a fetch retries a yt-dlp run (and a cookies file not there yet): the retries of the config, on passing trouble. */
export function ytDlpRetryOptions(settings: YoutubeSettings): RetryOptions {
  const { attempts, backoffMs, maxBackoffMs } = settings.retries;
  return { attempts, backoffMs, maxBackoffMs, isRetryable: isRetryableYtDlpError };
}
