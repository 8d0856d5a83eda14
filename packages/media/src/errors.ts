import { POLICY, defineErrors } from '@imk/errors';

/** Every code @imk/media throws, with its policy (retry or not, HTTP status); see @imk/errors defineErrors. */
export const MEDIA_ERRORS = defineErrors('@imk/media', {
  ABORTED: POLICY.transient,
  COVER_UNREADABLE: POLICY.unprocessable,
  ENCODE_INVALID_OPTIONS: POLICY.badRequest,
  FFMPEG_FAILED: POLICY.transient,
  LOUDNESS_FAILED: POLICY.transient,
  MEDIA_DECODE_FAILED: POLICY.transient,
  MEDIA_EMPTY: POLICY.unprocessable,
  MEDIA_NO_AUDIO: POLICY.unprocessable,
  MEDIA_NO_VIDEO: POLICY.unprocessable,
  MEDIA_REFUSED: POLICY.unprocessable,
  MEDIA_UNREADABLE: POLICY.unprocessable,
  // The stem MP4 writer's own checks; a retry re-encodes the file from scratch.
  MP4_BOX_TOO_LARGE: POLICY.transient,
  MP4_CORRUPT: POLICY.transient,
  PLATFORM_UNSUPPORTED: POLICY.unavailable,
  STEM_MANIFEST_INVALID: POLICY.transient,
  TOOL_MISSING: POLICY.unavailable,
  WAV_CLOSED: POLICY.transient,
  WAV_INVALID_BLOCK: POLICY.transient,
  WAV_INVALID_OPTIONS: POLICY.transient,
  WAV_TOO_LARGE: POLICY.unprocessable,
  WAV_UNSUPPORTED: POLICY.unprocessable,
  OPTIONS_INVALID: POLICY.badRequest,
});
