import { POLICY, defineErrors } from '@imk/errors';

/** Every code @imk/tools throws, with its policy (retry or not, HTTP status); see @imk/errors defineErrors. */
export const TOOLS_ERRORS = defineErrors('@imk/tools', {
  TOOL_MISSING: POLICY.unavailable,
});
