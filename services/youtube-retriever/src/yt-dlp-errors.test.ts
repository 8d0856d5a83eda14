import { describe, expect, it } from 'vitest';
import { isRetryableYtDlpError, mapYtDlpError } from './yt-dlp-errors.ts';

const URL = 'https://www.youtube.com/watch?v=abcdefghijk';

// yt-dlp's own stderr lines for situations that cannot be produced on a loopback server.
const CASES: [string, string, RegExp, boolean][] = [
  [
    'ERROR: [youtube] abcdefghijk: Sign in to confirm you’re not a bot. Use --cookies-from-browser or --cookies for the authentication.',
    'YT_BOT_CHECK',
    /not a bot.*cookiesFile/,
    false,
  ],
  [
    'ERROR: [youtube] abcdefghijk: Sign in to confirm your age. This video may be inappropriate for some users.',
    'YT_AGE_RESTRICTED',
    /age-restricted.*cookies/,
    false,
  ],
  [
    "ERROR: [youtube] abcdefghijk: Private video. Sign in if you've been granted access to this video",
    'YT_PRIVATE',
    /private/,
    false,
  ],
  [
    'ERROR: [youtube] abcdefghijk: The uploader has not made this video available in your country',
    'YT_GEO_BLOCKED',
    /country/,
    false,
  ],
  [
    'ERROR: [youtube] abcdefghijk: Video unavailable. This video has been removed by the uploader',
    'YT_UNAVAILABLE',
    /unavailable/,
    false,
  ],
  [
    'ERROR: [youtube] abcdefghijk: Join this channel to get access to members-only content like this video, and other exclusive perks.',
    'YT_MEMBERS_ONLY',
    /members only/,
    false,
  ],
  ['ERROR: [youtube] abcdefghijk: Premieres in 3 hours', 'YT_NOT_LIVE_YET', /premiere/, false],
  [
    'WARNING: [youtube] abcdefghijk: nsig extraction failed: You may experience throttling for some formats\nERROR: [youtube] abcdefghijk: Unable to extract yt initial data; please report this issue on  https://github.com/yt-dlp/yt-dlp/issues',
    'YT_DLP_OUTDATED',
    /too old.*pipx upgrade yt-dlp/,
    false,
  ],
  [
    'ERROR: unable to download video data: HTTP Error 403: Forbidden',
    'ACCESS_DENIED',
    /HTTP 401\/403.*update yt-dlp/,
    false,
  ],
  ['ERROR: [youtube] abcdefghijk: HTTP Error 429: Too Many Requests', 'RATE_LIMITED', /rate-limiting/, true],
  [
    'ERROR: [generic] None: Unable to download webpage: <urlopen error [Errno -3] Temporary failure in name resolution>',
    'NETWORK',
    /network trouble/,
    true,
  ],
  ['ERROR: Unsupported URL: https://example.com/', 'UNSUPPORTED_URL', /does not know how to fetch/, false],
];

describe('mapYtDlpError', () => {
  it.each(CASES)('%s -> %s', (stderr, code, message, retryable) => {
    const error = mapYtDlpError(stderr, URL);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(URL);
    expect(isRetryableYtDlpError(error)).toBe(retryable);
  });

  it('keeps yt-dlp\'s line without its "please report" boilerplate', () => {
    const error = mapYtDlpError(
      'ERROR: something new; please report this issue on  https://github.com/yt-dlp/yt-dlp/issues?q= , filling',
      URL,
    );
    expect(error.code).toBe('YT_DLP_FAILED');
    expect(error.message).toBe(`yt-dlp failed for ${URL}: ERROR: something new`);
  });
});
