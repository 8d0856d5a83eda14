import { POLICY, defineErrors } from '@imk/errors';

/** Every code @imk/nas-sync-service throws, with its policy (retry or not, HTTP status); see @imk/errors defineErrors. */
export const NAS_SYNC_ERRORS = defineErrors('@imk/nas-sync-service', {
  RECEIPTS_OPEN_FAILED: POLICY.unavailable,
  SYNC_ALREADY_RUNNING: POLICY.conflict,
});
