import { errorMessage, isImkError, retryableOf } from '@imk/errors';
import { capText } from '@imk/fs-safe';

/**
 * Errors that another attempt cannot fix: the input or the options are wrong, or a tool is missing.
 * Everything else (ffmpeg crashed, disk full, an engine failure, a bug) is worth another try.
 */
const PERMANENT_CODES = new Set([
  'MEDIA_UNREADABLE',
  'MEDIA_EMPTY',
  'MEDIA_NO_AUDIO',
  'MEDIA_NO_VIDEO',
  'INVALID_INPUT',
  'SIDECAR_INVALID',
  'OPTIONS_INVALID',
  'UNKNOWN_ENGINE',
  'ENGINE_UNAVAILABLE',
  'UNKNOWN_VARIANT',
  'INVALID_VARIANT',
  'INVALID_PARAMS',
  'INVALID_ENGINE_OPTIONS',
  'ENGINE_MODULE_INVALID',
  'COVER_UNREADABLE',
  'ENCODE_INVALID_OPTIONS',
  'WAV_UNSUPPORTED',
  'WAV_TOO_LARGE',
  'TOOL_MISSING',
  'PLATFORM_UNSUPPORTED',
  'VARIANT_NEEDS_MIXTURE',
  // The mdx engine's model: missing, unknown, malformed, corrupt or of the wrong shape.
  'MODEL_MISSING',
  'MODEL_UNKNOWN',
  'MODEL_DATA_INVALID',
  'MODEL_INVALID',
  'MODEL_SHAPE_MISMATCH',
  'MODEL_UNSUPPORTED',
]);

/** Conditions of a file that another attempt will find the same (no permission, a link loop, not a file). */
const PERMANENT_ERRNO = new Set(['EACCES', 'EPERM', 'ELOOP', 'EISDIR', 'ENOTDIR', 'ENAMETOOLONG']);

export function isRetryable(error: unknown): boolean {
  // An error that says so itself (fs-safe's refusals, MEDIA_REFUSED, JSON_TOO_DEEP, …) decides.
  const own = retryableOf(error);
  if (own !== undefined) return own;
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  if (errno !== undefined && PERMANENT_ERRNO.has(errno)) return false;
  return !(isImkError(error) && PERMANENT_CODES.has(error.code));
}

/** Exponential backoff: base · 2^(attempt−1), capped. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

/** One line for the error file and the ledger: the message with its causes, and the code. */
export function describeFailure(error: unknown): { message: string; code: string | undefined } {
  const code = isImkError(error)
    ? error.code
    : ((error as NodeJS.ErrnoException | undefined)?.code ?? undefined);
  // Capped: an error quoting untrusted input (a 10 MB line) must not become a 10 MB error file or log line.
  const message = capText(errorMessage(error));
  return { message: code ? `${message} [${code}]` : message, code };
}
