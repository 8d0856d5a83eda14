import { z } from 'zod';
import { MAX_TIMER_MS, timerMax } from '@imk/config';

export const RetryPolicySchema = z.object({
  attemptsPerPass: z
    .number()
    .int()
    .min(1)
    .default(3)
    .describe(
      'Tries of one transfer within a pass for passing faults (a dropped connection waits for the next pass).',
    ),
  initialDelaySec: z
    .number()
    .nonnegative()
    .max(...timerMax('seconds'))
    .default(2)
    .describe('First backoff delay; doubles with each failed attempt.'),
  maxDelaySec: z
    .number()
    .positive()
    .max(...timerMax('seconds'))
    .default(600)
    .describe('Longest wait between attempts.'),
});
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

export const DEFAULT_RETRY_POLICY: RetryPolicy = RetryPolicySchema.parse({});

/**
 * Exponential backoff with ±10 % jitter, so many waiting transfers do not return all at once; never past what
 * a timer can wait (a pass sleeps it between tries: maxDelaySec at its limit plus 10 % fired after 1 ms).
 */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  const base = Math.min(policy.maxDelaySec, policy.initialDelaySec * 2 ** Math.max(0, attempt - 1)) * 1000;
  return Math.min(MAX_TIMER_MS, Math.round(base * (0.9 + Math.random() * 0.2)));
}
