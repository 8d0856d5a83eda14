import { POLICY, defineErrors } from '@imk/errors';

/** Every code @imk/ledger throws, with its policy (retry or not, HTTP status); see @imk/errors defineErrors. */
export const LEDGER_ERRORS = defineErrors('@imk/ledger', {
  LEDGER_CORRUPT: POLICY.unavailable,
  LEDGER_OPEN_FAILED: POLICY.unavailable,
});
