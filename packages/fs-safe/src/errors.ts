import { POLICY, defineErrors } from '@imk/errors';

/** Every code @imk/fs-safe throws, with its policy (retry or not, HTTP status); see @imk/errors defineErrors. */
export const FS_SAFE_ERRORS = defineErrors('@imk/fs-safe', {
  FILE_CHANGED: POLICY.transient,
  FILE_IS_SYMLINK: POLICY.unprocessable,
  FILE_MISSING: POLICY.notFound,
  FILE_NOT_REGULAR: POLICY.unprocessable,
  FILE_READ_FAILED: POLICY.transient,
  FILE_TOO_LARGE: POLICY.unprocessable,
  FILE_UNREADABLE: POLICY.unprocessable,
  FOLDER_IS_SYMLINK: POLICY.unprocessable,
  INVALID_JSON: POLICY.unprocessable,
  JSON_TOO_DEEP: POLICY.unprocessable,
  NOT_A_FOLDER: POLICY.unprocessable,
  PATH_OUTSIDE: POLICY.unprocessable,
});
