import { POLICY, defineErrors } from '@imk/errors';

/** Every code @imk/fsqueue throws, with its policy (retry or not, HTTP status); see @imk/errors defineErrors. */
export const FSQUEUE_ERRORS = defineErrors('@imk/fsqueue', {
  CLAIM_LOST: POLICY.transient,
  CLAIM_SETTLED: POLICY.transient,
  /** A cancel's reason longer than CANCEL_REASON_MAX. */
  INVALID_CANCEL_REASON: POLICY.badRequest,
  INVALID_CONSUMER_ID: POLICY.badRequest,
  INVALID_JOB: POLICY.badRequest,
  INVALID_QUEUE_OPTIONS: POLICY.badRequest,
  JOB_ACTIVE: POLICY.conflict,
  JOB_EXISTS: POLICY.conflict,
  JOB_IN_PROGRESS: POLICY.conflict,
  JOB_MOVED: POLICY.conflict,
  JOB_NOT_FAILED: POLICY.conflict,
  QUEUE_CLOSED: POLICY.transient,
  RELEASE_BLOCKED: POLICY.transient,
  SOURCE_MISSING: POLICY.conflict,
  /** A file copied into a bundle is not what it was declared to be (publishBundle's `declared`). */
  SOURCE_CHANGED: POLICY.conflict,
  SOURCE_NOT_FILE: POLICY.badRequest,
  TARGET_EXISTS: POLICY.conflict,
  JOB_MOVING: POLICY.conflict,
  JOB_NOT_CANCELLABLE: POLICY.conflict,
  JOB_NOT_FOUND: POLICY.notFound,
  NOT_A_CLAIM: POLICY.badRequest,
});
