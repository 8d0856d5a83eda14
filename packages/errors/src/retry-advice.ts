import { ImkError } from './imk-error.ts';
import { policyOfCode } from './policy-registry.ts';
import './errors.ts';

/** Whether a person's retry of a failed job can help, and what to do when it cannot (or not yet). */
export interface RetryAdvice {
  /** Whether `imk retry` and the dashboard's Retry are offered: false where the same job fails the same way. */
  readonly canRetry: boolean;
  /** What to do instead of (or before) a retry; undefined when a retry is all it takes. */
  readonly advice?: string;
}

/**
 * What a person can do about a job that failed with `code`, from the code's policy in its catalogue (STYLE.md
 * convention 15): the one place that decides whether the dashboard offers Retry and whether `imk retry` does it.
 * - The input or the request itself is at fault (a permanent 400, 404, 410 or 422: unreadable media, a refused
 *   file, a video that is gone): the same job fails the same way on every try, so no retry; replace the input.
 * - A tool, model, secret or setting is missing (a permanent 503): a retry helps once a person has fixed that.
 * - Anything else (passing trouble, a code no catalogue names): a retry may help.
 */
export function retryAdviceOf(code: string | undefined): RetryAdvice {
  const policy = code === undefined ? undefined : policyOfCode(code);
  if (policy === undefined || policy.retryable) return { canRetry: true };
  if (policy.personFix !== undefined)
    return { canRetry: true, advice: `${code}: ${policy.personFix}, then retry.` };
  if (INPUT_AT_FAULT.has(policy.httpStatus))
    return {
      canRetry: false,
      advice:
        `${code} fails the same way on every try, so a retry cannot help: ` +
        'replace the file (another download or rip of the song) and add it as a new job.',
    };
  if (policy.httpStatus === 503)
    return {
      canRetry: true,
      advice: `${code}: a tool, model, secret or setting is missing; fix what the error names (\`imk doctor\` checks them all), then retry.`,
    };
  return { canRetry: true };
}

// The statuses of the catalogues' permanent codes that mean the input or the request itself cannot be used.
const INPUT_AT_FAULT = new Set([400, 404, 410, 422]);

/**
 * Throws RETRY_CANNOT_HELP, saying what to do instead, when job `jobId` last failed with a code whose retry
 * cannot help (see retryAdviceOf); `imk retry` and the dashboard's retry both ask it before moving the job.
 */
export function refuseHopelessRetry(jobId: string, lastErrorCode: string | undefined): void {
  const { canRetry, advice } = retryAdviceOf(lastErrorCode);
  if (!canRetry)
    throw new ImkError('RETRY_CANNOT_HELP', `job ${jobId} is not retried: ${advice ?? ''}`, {
      details: { job_id: jobId, code: lastErrorCode },
    });
}
