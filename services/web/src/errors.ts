import { POLICY, defineErrors } from '@imk/errors';

/** Every code @imk/web-service throws, with its policy (retry or not, HTTP status); see @imk/errors defineErrors. */
export const WEB_ERRORS = defineErrors('@imk/web-service', {
  JOB_NOT_FOUND: POLICY.notFound,
  /** "Separate again": the song's archived bundle was cleaned up too; the user adds the song again. */
  SOURCE_GONE: { retryable: false, httpStatus: 410 },
  WEB_BAD_HOST: POLICY.unavailable,
  WEB_PORT_IN_USE: POLICY.unavailable,
  WEB_TOKEN_FILE: POLICY.unavailable,
  WEB_TOKEN_REQUIRED: POLICY.unavailable,
  WEB_TOKEN_WEAK: POLICY.unavailable,
});
