/** The defaults of the ledger's options, each written here only (the option docs name them). */
export const LEDGER_DEFAULTS = {
  /** How long a writer waits for another process's write lock before failing. */
  busyTimeoutMs: 5000,
  /** A job's progress is written at most this often; subscribers look as often. */
  progressIntervalMs: 500,
  /** Jobs listJobs returns at most. */
  listLimit: 1000,
  /** Earlier jobs of the same input listSucceededByInput returns at most. */
  byInputLimit: 20,
} as const;
