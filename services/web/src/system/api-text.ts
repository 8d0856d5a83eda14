/**
 * A text field of an API answer (an artist, a title, a model): the text, or null when there is none (absent,
 * empty, not text). One answer for one fact: a manifest writes an unknown artist as "" (the earlier version's
 * format wants a string), the ledger and job.json as none, and /api/jobs and /api/outputs say null for both.
 */
export function apiText(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
