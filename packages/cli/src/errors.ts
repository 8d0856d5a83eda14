import { POLICY, defineErrors } from '@imk/errors';

/** Every code @imk/cli throws, with its policy (retry or not, HTTP status); see @imk/errors defineErrors. */
export const CLI_ERRORS = defineErrors('@imk/cli', {
  CONFIG_INVALID: POLICY.unavailable,
  /** `imk migrate` could not replace a config file (disk full, no permission): the file is left as it was. */
  CONFIG_WRITE_FAILED: POLICY.unavailable,
  INVALID_ARGUMENT: POLICY.badRequest,
  INVALID_FORMAT: POLICY.badRequest,
  INVALID_JOB_ID: POLICY.badRequest,
  INVALID_OPTION: POLICY.badRequest,
  INVALID_PORT: POLICY.badRequest,
  // imk separate: two variants that would be written under one file name.
  INVALID_VARIANT: POLICY.badRequest,
  JOB_NOT_FOUND: POLICY.notFound,
  NO_SERVICES: POLICY.badRequest,
  OPTIONS_INVALID: POLICY.badRequest,
  // imk separate: a file it would write is already in --out (kept; --overwrite replaces it).
  OUTPUT_EXISTS: POLICY.conflict,
  SERVICE_UNAVAILABLE: { retryable: true, httpStatus: 503 },
  // imk up / imk run: this host's state/ cannot be created or written (read-only, not ours, a file).
  STATE_NOT_WRITABLE: POLICY.unavailable,
  UNHEALTHY: POLICY.unavailable,
  UNKNOWN_DOCUMENT: POLICY.badRequest,
  UNKNOWN_SERVICE: POLICY.badRequest,
  CANCEL_TOO_LATE: POLICY.conflict,
  // imk cancel: fsqueue's refusal said again with where a succeeded job's outputs are (same policy).
  JOB_NOT_CANCELLABLE: POLICY.conflict,
  SERVICE_MISMATCH: POLICY.internal,
});
