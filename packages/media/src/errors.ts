import { POLICY, defineErrors } from '@imk/errors';

/** Every code @imk/media throws, with its policy (retry or not, HTTP status); see @imk/errors defineErrors. */
export const MEDIA_ERRORS = defineErrors('@imk/media', {
  ABORTED: POLICY.transient,
  COVER_UNREADABLE: POLICY.unprocessable,
  ENCODE_INVALID_OPTIONS: POLICY.badRequest,
  FFMPEG_FAILED: POLICY.transient,
  // A WAV file whose shape changed between the caller's look and the read (wav-reader.ts; fs-safe's code).
  FILE_CHANGED: POLICY.transient,
  // Past its time limit: a slow or busy machine may do better another time.
  FFMPEG_TIMED_OUT: POLICY.transient,
  LOUDNESS_FAILED: POLICY.transient,
  // ffmpeg read the file's header but could not decode it: the same bytes fail the same way every time.
  // (ffmpeg killed by a signal while decoding, e.g. by the OOM killer, is FFMPEG_FAILED: passing trouble.)
  MEDIA_DECODE_FAILED: POLICY.unprocessable,
  MEDIA_EMPTY: POLICY.unprocessable,
  MEDIA_NO_AUDIO: POLICY.unprocessable,
  MEDIA_NO_VIDEO: POLICY.unprocessable,
  // ffprobe still reading after probeTimeoutSec: the same bytes take as long on every attempt.
  MEDIA_PROBE_TIMEOUT: {
    ...POLICY.unprocessable,
    personFix: 'raise probeTimeoutSec in config/instrumental-maker.yaml if the file is only slow to read',
  },
  MEDIA_REFUSED: POLICY.unprocessable,
  MEDIA_UNREADABLE: POLICY.unprocessable,
  // The stem MP4 writer's checks of the file ffmpeg just wrote: ffmpeg writes the same boxes for the same
  // input on every attempt, so a retry meets the same box again.
  MP4_BOX_TOO_LARGE: POLICY.internal,
  MP4_CORRUPT: POLICY.internal,
  PLATFORM_UNSUPPORTED: POLICY.unavailable,
  STEM_MANIFEST_INVALID: POLICY.transient,
  TOOL_MISSING: POLICY.unavailable,
  WAV_CLOSED: POLICY.transient,
  WAV_INVALID_BLOCK: POLICY.transient,
  // A channel count or sample rate that is not a positive integer: the same on every attempt.
  WAV_INVALID_OPTIONS: POLICY.internal,
  WAV_TOO_LARGE: POLICY.unprocessable,
  WAV_UNSUPPORTED: POLICY.unprocessable,
  OPTIONS_INVALID: POLICY.badRequest,
  // A file is already where an output was asked not to replace one (withTempOutput's replace: false).
  OUTPUT_EXISTS: POLICY.conflict,
});
