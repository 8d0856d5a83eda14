import { POLICY, defineErrors } from '@imk/errors';

/** Every code @imk/retriever-sdk throws, with its policy (retry or not, HTTP status); see @imk/errors defineErrors. */
export const RETRIEVER_ERRORS = defineErrors('@imk/retriever-sdk', {
  ABORTED: POLICY.transient,
  COVER_UNREADABLE: POLICY.unprocessable,
  INVALID_FIELD: POLICY.badRequest,
  INVALID_JOB_ID: POLICY.badRequest,
  INVALID_REQUEST: POLICY.badRequest,
  INVALID_URL: POLICY.unprocessable,
  REQUEST_FOLDER_UNREADABLE: POLICY.unavailable,
  UNSUPPORTED_URL: POLICY.unprocessable,
  INVALID_SUBSCRIPTIONS_FILE: POLICY.unavailable,
});
