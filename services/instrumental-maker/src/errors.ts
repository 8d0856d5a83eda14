import { POLICY, defineErrors } from '@imk/errors';

/** Every code @imk/instrumental-maker-service throws, with its policy (retry or not, HTTP status); see @imk/errors defineErrors. */
export const IM_ERRORS = defineErrors('@imk/instrumental-maker-service', {
  ABORTED: POLICY.transient,
  CLAIM_LOST: POLICY.transient,
  CONFIG_INVALID: POLICY.unavailable,
  ENGINE_MODULE_INVALID: POLICY.unavailable,
  ENGINE_UNAVAILABLE: POLICY.unavailable,
  INPUT_TOO_LONG: POLICY.unprocessable,
  INVALID_INPUT: POLICY.unprocessable,
  // An earlier job's file is not what its manifest says (a link out, a FIFO, other content): never linked.
  LINKED_ARTIFACT_INVALID: POLICY.unprocessable,
  MANIFEST_INVALID: POLICY.transient,
  // outputs/<job_id>/ without a valid manifest, changed lately: the earlier version is writing it; later.
  OUTPUTS_BEING_WRITTEN: POLICY.transient,
  OPTIONS_INVALID: POLICY.badRequest,
  // outputs/ is on a file system (an SMB share) that refuses the job id as a folder name: the same again.
  OUTPUT_NAME_REFUSED: POLICY.unprocessable,
  SIDECAR_INVALID: POLICY.unprocessable,
  CANCELLED: POLICY.conflict,
  REMIX_SOURCE_MISSING: POLICY.unprocessable,
  // The earlier Python version's outputs: listed like ours, but no stem cache of theirs to mix from.
  REMIX_SOURCE_LEGACY: POLICY.unprocessable,
  // A mix's name would replace a file the job made (its instrumental, another variant): never done.
  REMIX_NAME_TAKEN: POLICY.unprocessable,
  // The stems (and the song to separate again) were cleaned up: gone, as the dashboard's mixer answers too.
  STEMS_NOT_CACHED: POLICY.gone,
  // A programming error (the stage steps and STAGES disagree): retrying runs the same code again.
  STAGES_INVALID: POLICY.internal,
});
