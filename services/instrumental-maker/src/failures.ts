import { errnoRetryable, errorMessage, isImkError, isRetryableError } from '@imk/errors';
import { sep } from 'node:path';
import { capText } from '@imk/fs-safe';
// The worker's own codes (SIDECAR_INVALID, …) must be known here even when index.ts is not loaded.
import './errors.ts';

/**
 * Whether another attempt can fix this failure. The error says so itself: its own word (fs-safe's refusals,
 * MEDIA_REFUSED, …) or its code's policy in its package's catalogue (MEDIA_UNREADABLE, MODEL_MISSING and
 * TOOL_MISSING are not; an ffmpeg crash or an engine failure is), else its errno by the project's one errno
 * policy (no permission, a read-only disk, a link loop, not a file). Everything unknown (a bug) gets another try.
 */
export function isRetryable(error: unknown): boolean {
  return isRetryableError(error) ?? errnoRetryable(error) ?? true;
}

/** Exponential backoff: base · 2^(attempt−1), capped. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * One line for the error file and the ledger: the message with its causes, and the code. Paths inside the
 * claimed bundle (`bundleDirs`: its folder as claimed and as resolved) are given as the bundle's own file
 * names: the claimed folder is gone once the job is archived, and the error file sits beside those files.
 */
export function describeFailure(
  error: unknown,
  bundleDirs: readonly string[] = [],
): { message: string; code: string | undefined } {
  const code = isImkError(error)
    ? error.code
    : ((error as NodeJS.ErrnoException | undefined)?.code ?? undefined);
  let text = errorMessage(error);
  for (const dir of bundleDirs) text = text.split(`${dir}${sep}`).join('');
  // Capped: an error quoting untrusted input (a 10 MB line) must not become a 10 MB error file or log line.
  const message = capText(text);
  return { message: code ? `${message} [${code}]` : message, code };
}
