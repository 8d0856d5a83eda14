import { POLICY, defineErrors } from '@imk/errors';

/** Every code @imk/separation throws, with its policy (retry or not, HTTP status); see @imk/errors defineErrors. */
export const SEPARATION_ERRORS = defineErrors('@imk/separation', {
  ABORTED: POLICY.transient,
  ENGINE_FAILED: POLICY.transient,
  ENGINE_UNAVAILABLE: POLICY.unavailable,
  EVAL_DIR_INVALID: POLICY.badRequest,
  FFT_INIT_FAILED: POLICY.transient,
  INVALID_ENGINE_OPTIONS: POLICY.badRequest,
  INVALID_INPUT: POLICY.unprocessable,
  INVALID_PARAMS: POLICY.badRequest,
  INVALID_VARIANT: POLICY.badRequest,
  // The mdx engine's model: missing, unknown, malformed, corrupt or of the wrong shape.
  // The model file was replaced (a copy in progress) between its hash and ONNX Runtime opening it: tried again,
  // when the worker makes a new engine of the new file and hashes it.
  MODEL_CHANGED: POLICY.transient,
  MODEL_DATA_INVALID: POLICY.unavailable,
  MODEL_INVALID: POLICY.unavailable,
  MODEL_MISSING: POLICY.unavailable,
  MODEL_OUTSIDE_FOLDER: POLICY.unavailable,
  MODEL_PATH_NOT_FOLDER: POLICY.unavailable,
  MODEL_SHAPE_MISMATCH: POLICY.unavailable,
  MODEL_UNKNOWN: POLICY.unavailable,
  MODEL_UNSUPPORTED: POLICY.unavailable,
  SEPARATOR_FINISHED: POLICY.transient,
  SOUNDFONT_MISSING: POLICY.unavailable,
  STEM_FORMAT: POLICY.transient,
  STEM_LENGTH_MISMATCH: POLICY.transient,
  // The files of one song (a MUSDB track's, the earlier version's four stems) differ in length by more than
  // rounding: one is cut short or of another song.
  STEM_LENGTHS_DIFFER: POLICY.unprocessable,
  UNKNOWN_ENGINE: POLICY.badRequest,
  UNKNOWN_VARIANT: POLICY.badRequest,
  VARIANT_NEEDS_MIXTURE: POLICY.badRequest,
});
