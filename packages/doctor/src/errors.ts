import { POLICY, defineErrors } from '@imk/errors';

/** Every code @imk/doctor throws, with its policy (retry or not, HTTP status); see @imk/errors defineErrors. */
export const DOCTOR_ERRORS = defineErrors('@imk/doctor', {
  DOCTOR_DUPLICATE_CHECK: POLICY.internal,
  DOCTOR_UNKNOWN_GROUP: POLICY.badRequest,
});
