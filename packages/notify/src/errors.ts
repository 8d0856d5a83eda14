import { POLICY, defineErrors } from '@imk/errors';

/** Every code @imk/notify throws, with its policy (retry or not, HTTP status); see @imk/errors defineErrors. */
export const NOTIFY_ERRORS = defineErrors('@imk/notify', {
  NOTIFY_APPRISE_MISSING: POLICY.unavailable,
  NOTIFY_CONFIG_INVALID: POLICY.unavailable,
  NOTIFY_SECRET_MISSING: POLICY.unavailable,
  NOTIFY_SEND_FAILED: POLICY.upstream,
});
