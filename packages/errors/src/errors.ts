import { defineErrors } from './catalogue.ts';
import { POLICY } from './policy-registry.ts';

/** The codes @imk/errors itself throws. */
export const ERRORS_ERRORS = defineErrors('@imk/errors', {
  ERROR_CATALOGUE_CONFLICT: POLICY.internal,
  // A retry asked of a job whose last error fails the same way on every try (retryAdviceOf).
  RETRY_CANNOT_HELP: POLICY.unprocessable,
});
