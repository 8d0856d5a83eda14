import { POLICY, defineErrors } from '@imk/errors';

/** Every code @imk/service throws, with its policy (retry or not, HTTP status); see @imk/errors defineErrors. */
export const SERVICE_ERRORS = defineErrors('@imk/service', {
  SERVICE_NAME_INVALID: POLICY.internal,
});
