import type { FastifyReply } from 'fastify';
import { POLICY, defineErrors } from '@imk/errors';

/**
 * Every code @imk/web-service throws or answers with, with its policy (retry or not, HTTP status); see
 * @imk/errors defineErrors. A route answers an error with replyError, which takes the status from here.
 */
export const WEB_ERRORS = defineErrors('@imk/web-service', {
  ARTIFACT_NOT_FOUND: POLICY.notFound,
  BAD_JOB_ID: POLICY.badRequest,
  BAD_PREVIEW: POLICY.badRequest,
  CANCEL_UNAVAILABLE: POLICY.unavailable,
  CSRF_TOKEN_REQUIRED: POLICY.forbidden,
  EMPTY_FILE: POLICY.badRequest,
  FILE_NOT_FOUND: POLICY.notFound,
  INVALID_MIX: POLICY.badRequest,
  INVALID_REQUEST: POLICY.badRequest,
  INVALID_SUBSCRIPTION: POLICY.badRequest,
  JOB_NOT_FOUND: POLICY.notFound,
  /** The mixer on an earlier-version job: no stem cache of theirs to mix from. */
  LEGACY_OUTPUT: POLICY.conflict,
  NO_FILE: POLICY.badRequest,
  /** An upload ffprobe cannot read as audio or video (a page saved as .mp3, a file cut short at its start). */
  NOT_MEDIA: POLICY.unprocessable,
  OUTPUT_NOT_FOUND: POLICY.notFound,
  PREVIEW_FAILED: POLICY.internal,
  // A file without sound (a source video that came without it): no waveform or spectrogram to draw.
  PREVIEW_NO_SOUND: POLICY.notFound,
  /** A mix named like one of the job's own variants (its file would replace it); the worker says the same. */
  REMIX_NAME_TAKEN: POLICY.unprocessable,
  /** A mix of that name of that job is already queued or being made: which of the two would be kept was chance. */
  REMIX_PENDING: POLICY.conflict,
  RETRY_UNAVAILABLE: POLICY.unavailable,
  /** "Separate again" when the stems are still cached: nothing to do. */
  STEMS_CACHED: POLICY.conflict,
  /** The job's stems left the cache and its song the archive (the worker's remix says the same). */
  STEMS_NOT_CACHED: POLICY.gone,
  STEM_NOT_FOUND: POLICY.notFound,
  /** "Separate again": the song's archived bundle was cleaned up too; the user adds the song again. */
  SOURCE_GONE: POLICY.gone,
  /** "Separate again": a file of the archived bundle is not what its job.json declares (damaged, replaced). */
  SOURCE_DAMAGED: POLICY.unprocessable,
  UNSUPPORTED_FILE: { retryable: false, httpStatus: 415 },
  UPLOAD_TOO_LARGE: { retryable: false, httpStatus: 413 },
  WEB_BAD_HOST: POLICY.unavailable,
  WEB_PORT_IN_USE: POLICY.unavailable,
  WEB_TOKEN_FILE: POLICY.unavailable,
  WEB_TOKEN_REQUIRED: POLICY.unavailable,
  WEB_TOKEN_WEAK: POLICY.unavailable,
  /** The login form's token is not the dashboard's (too many of them: @imk/http-guard's TOO_MANY_ATTEMPTS). */
  WRONG_TOKEN: { retryable: false, httpStatus: 401 },
  /** The dashboard stopped (Ctrl-C, SIGTERM) while it handled the request: nothing of it was queued. */
  WEB_STOPPING: POLICY.unavailable,
});

export type WebErrorCode = keyof typeof WEB_ERRORS;

/** Answers `{ error: code, message, … }` with the status the catalogue gives the code. */
export function replyError(
  reply: FastifyReply,
  code: WebErrorCode,
  body: { message?: string } & Record<string, unknown>,
): FastifyReply {
  return reply.code(WEB_ERRORS[code].httpStatus).send({ error: code, ...body });
}
