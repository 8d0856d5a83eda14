import { ImkError, POLICY, defineErrors, isImkError } from '@imk/errors';

/** Every code @imk/youtube-retriever-service throws, with its policy (retry or not, HTTP status); see @imk/errors defineErrors. */
export const YOUTUBE_ERRORS = defineErrors('@imk/youtube-retriever-service', {
  ABORTED: POLICY.transient,
  API_TOKEN_FILE: POLICY.unavailable,
  API_TOKEN_REQUIRED: POLICY.unavailable,
  API_TOKEN_WEAK: POLICY.unavailable,
  // cookiesFile names nothing (yet): the user may be copying it there, so a later attempt may find it.
  COOKIES_MISSING: { retryable: true, httpStatus: 503 },
  // cookiesFile is there but no file of cookies (a FIFO, a folder, a device, unreadable, too big): it
  // stays so until a person acts.
  COOKIES_UNUSABLE: POLICY.unavailable,
  DOWNLOAD_MISSING: POLICY.internal,
  DURATION_MISMATCH: POLICY.unprocessable,
  FETCH_FAILED: POLICY.internal,
  TOOL_MISSING: POLICY.unavailable,
  YT_DLP_FAILED: POLICY.internal,
  // No output and nothing downloaded for stallTimeoutSec: stopped. Not tried again at once (it would hang
  // as long again); the request fails saying so.
  YT_DLP_STALLED: POLICY.internal,
  // What yt-dlp said, sorted by mapYtDlpError: the video or link itself…
  YT_BOT_CHECK: POLICY.unprocessable,
  YT_AGE_RESTRICTED: POLICY.unprocessable,
  YT_PRIVATE: POLICY.unprocessable,
  YT_MEMBERS_ONLY: POLICY.unprocessable,
  YT_GEO_BLOCKED: POLICY.unprocessable,
  YT_NOT_LIVE_YET: POLICY.unprocessable,
  // Longer than maxDurationSec by the site's own word: refused before the download.
  YT_TOO_LONG: POLICY.unprocessable,
  YT_UNAVAILABLE: POLICY.unprocessable,
  YT_DLP_OUTDATED: POLICY.unprocessable,
  UNSUPPORTED_URL: POLICY.unprocessable,
  FORMAT_UNAVAILABLE: POLICY.unprocessable,
  NOT_FOUND: POLICY.unprocessable,
  ACCESS_DENIED: POLICY.unprocessable,
  LINK_REFUSED: POLICY.unprocessable,
  // …or passing trouble on the way.
  RATE_LIMITED: POLICY.upstream,
  NETWORK: POLICY.upstream,
});

/**
 * What work the stop ended (a fetch, the listing of a list) throws: the stop's own ABORTED as it is, else
 * an ABORTED saying `message`, the tool's error kept as cause (so every caller sees a stop, not a failure).
 */
export function stoppedError(error: unknown, message: string): unknown {
  if (isImkError(error, 'ABORTED')) return error;
  return new ImkError('ABORTED', message, { cause: error });
}
