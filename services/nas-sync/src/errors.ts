import { POLICY, defineErrors } from '@imk/errors';

/** Every code @imk/nas-sync-service throws, with its policy (retry or not, HTTP status); see @imk/errors defineErrors. */
export const NAS_SYNC_ERRORS = defineErrors('@imk/nas-sync-service', {
  /** A --job (or imk sync retry <job>) that names no job of outputs/ and no receipt. */
  JOB_NOT_FOUND: POLICY.notFound,
  RECEIPTS_OPEN_FAILED: POLICY.unavailable,
  SYNC_ALREADY_RUNNING: POLICY.conflict,
});
