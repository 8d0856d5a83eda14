import { POLICY, defineErrors } from '@imk/errors';

/** Every code @imk/web-service throws, with its policy (retry or not, HTTP status); see @imk/errors defineErrors. */
export const WEB_ERRORS = defineErrors('@imk/web-service', {
  JOB_NOT_FOUND: POLICY.notFound,
  WEB_BAD_HOST: POLICY.unavailable,
  WEB_PORT_IN_USE: POLICY.unavailable,
  WEB_TOKEN_FILE: POLICY.unavailable,
  WEB_TOKEN_REQUIRED: POLICY.unavailable,
  WEB_TOKEN_WEAK: POLICY.unavailable,
});
