import { POLICY, defineErrors } from '@imk/errors';

/** Every code @imk/inbox-service throws, with its policy (retry or not, HTTP status); see @imk/errors defineErrors. */
export const INBOX_ERRORS = defineErrors('@imk/inbox-service', {
  // The service stopped while a file was taken: the file stays in the inbox for the next start (stopped.ts).
  ABORTED: POLICY.transient,
});
