import { isImkError } from './imk-error.ts';

/**
 * Whether work under way must end as stopped rather than judge what it was at: the stop came (`signal`
 * aborted: Ctrl-C, SIGTERM, a grace period over), or `error` (or an error it wraps) is a stop's `ABORTED`.
 * Once the stop came, a tool's failure says nothing of the file it read: the abort ended it, or, started at
 * the very instant of a Ctrl-C (still in imk's process group, from its fork to its setsid), the terminal's
 * SIGINT killed it. Code that turns a tool's failure into a verdict or a fallback (a file set aside as
 * unreadable, a song queued without its cover) asks this first, and rethrows when it holds.
 */
export function stopCame(signal: AbortSignal | undefined, error?: unknown): boolean {
  if (signal?.aborted === true) return true;
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 4; depth++) {
    if (isImkError(current, 'ABORTED')) return true;
    current = current instanceof Error ? current.cause : undefined;
  }
  return false;
}
