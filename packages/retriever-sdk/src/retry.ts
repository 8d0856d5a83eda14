import { ImkError, errorMessage } from '@imk/errors';
import type { Logger } from '@imk/log';
import { sleep } from './poll.ts';
import { RETRY_DEFAULTS } from './settings.ts';
import './errors.ts';

export interface RetryOptions {
  /** Total attempts, the first included. @default RETRY_DEFAULTS.attempts */
  attempts?: number;
  /** Wait before the second attempt; doubles each time. @default RETRY_DEFAULTS.backoffMs */
  backoffMs?: number;
  /** Upper bound of one wait. @default RETRY_DEFAULTS.maxBackoffMs */
  maxBackoffMs?: number;
  /** Which errors are worth another attempt (network trouble, not "video is private"). @default every error */
  isRetryable?: (error: unknown) => boolean;
  signal?: AbortSignal;
  logger?: Logger;
  /** Named in log lines, e.g. "yt-dlp download". */
  what?: string;
}

/** Runs `fn` until it succeeds, an error is not retryable, or the attempts are used up (then rethrows). */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? RETRY_DEFAULTS.attempts);
  let wait = options.backoffMs ?? RETRY_DEFAULTS.backoffMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      const retryable = options.isRetryable?.(error) ?? true;
      if (!retryable || attempt >= attempts || options.signal?.aborted) throw error;
      options.logger?.warn(
        { attempt, attempts, wait_ms: wait, err: errorMessage(error) },
        `${options.what ?? 'operation'} failed; retrying`,
      );
      await sleep(wait, options.signal);
      if (options.signal?.aborted)
        throw new ImkError('ABORTED', `${options.what ?? 'operation'} aborted`, { cause: error });
      wait = Math.min(wait * 2, options.maxBackoffMs ?? RETRY_DEFAULTS.maxBackoffMs);
    }
  }
}
