import { POLICY, defineErrors } from '@imk/errors';

/** Every code @imk/deemix-retriever-service throws, with its policy (retry or not, HTTP status); see @imk/errors defineErrors. */
export const DEEMIX_ERRORS = defineErrors('@imk/deemix-retriever-service', {
  ABORTED: POLICY.transient,
  DEEMIX_ARL_INVALID: POLICY.unavailable,
  DEEMIX_ARL_MISSING: POLICY.unavailable,
  DEEMIX_ARL_REFUSED: POLICY.unavailable,
  DEEMIX_FAILED: POLICY.internal,
  DEEMIX_NOTHING: POLICY.internal,
  DEEMIX_TIMEOUT: POLICY.upstream,
  /** deemix's scratch folder (workDir) is full: space must be freed first. */
  DEEMIX_DISK_FULL: POLICY.unavailable,
  /** The account of the ARL may not stream the bitrate asked for: `bitrate` or the account must change. */
  DEEZER_BITRATE: POLICY.unavailable,
  DEEZER_UNAVAILABLE: POLICY.unprocessable,
  TOOL_MISSING: POLICY.unavailable,
  UNSUPPORTED_URL: POLICY.unprocessable,
});
