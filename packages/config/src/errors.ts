import { POLICY, defineErrors } from '@imk/errors';

/** The codes readSecretRef throws (isSecretProblem). */
export const SECRET_ERRORS = {
  /** A secret's variable or file is unset, unreadable or empty. */
  SECRET_MISSING: POLICY.unavailable,
  /** A secret's variable or file holds a line break inside the secret. */
  SECRET_INVALID: POLICY.unavailable,
} as const;

/** Every code @imk/config throws, with its policy (retry or not, HTTP status); see @imk/errors defineErrors. */
export const CONFIG_ERRORS = defineErrors('@imk/config', {
  CONFIG_INVALID: POLICY.unavailable,
  /** The root (or its config/) is a file where a folder must be: readConfigFile says which. */
  ROOT_NOT_A_FOLDER: POLICY.unavailable,
  ...SECRET_ERRORS,
  /** A data folder config/paths.yaml places is missing (an unmounted share?), not a folder or not writable. */
});
