import type { Database } from 'better-sqlite3';
import type {
  ArtifactRecord,
  ErrorRow,
  EventRow,
  JobDetail,
  JobRow,
  LedgerState,
  ProgressRow,
  StageRow,
} from './types.ts';
import { LEDGER_DEFAULTS } from './defaults.ts';

export interface ListJobsOptions {
  state?: LedgerState;
  /** Jobs returned at most. @default LEDGER_DEFAULTS.listLimit */
  limit?: number;
}

/** Read-only queries, shared by the writer API and by readers such as the CLI and the dashboard. */
export function createQueries(db: Database) {
  const progressAll = db.prepare('SELECT * FROM progress ORDER BY updated_at DESC');
  const progressOne = db.prepare('SELECT * FROM progress WHERE job_id = ?');
  const jobsAll = db.prepare('SELECT * FROM jobs ORDER BY updated_at DESC, job_id LIMIT ?');
  const jobsByState = db.prepare(
    'SELECT * FROM jobs WHERE state = ? ORDER BY updated_at DESC, job_id LIMIT ?',
  );
  const countAll = db.prepare('SELECT count(*) AS n FROM jobs');
  const countByState = db.prepare('SELECT count(*) AS n FROM jobs WHERE state = ?');
  const knownOf = db.prepare('SELECT job_id FROM jobs WHERE job_id IN (SELECT value FROM json_each(?))');
  const rowsOf = db.prepare('SELECT * FROM jobs WHERE job_id IN (SELECT value FROM json_each(?))');
  const jobOne = db.prepare('SELECT * FROM jobs WHERE job_id = ?');
  const eventsOf = db.prepare(
    'SELECT at, state, stage, attempt, consumer, message FROM events WHERE job_id = ? ORDER BY id',
  );
  const stagesOf = db.prepare(
    'SELECT stage, attempt, started_at, duration_sec, outcome, detail FROM stages WHERE job_id = ? ORDER BY id',
  );
  const errorsOf = db.prepare(
    'SELECT stage, attempt, code, message, retryable, at FROM errors WHERE job_id = ? ORDER BY id',
  );
  const artifactsOf = db.prepare(
    `SELECT path, kind, variant, label, sha256, bytes, duration_sec, codec, container
     FROM artifacts WHERE job_id = ? ORDER BY path`,
  );
  const byInput = db.prepare(
    `SELECT * FROM jobs WHERE input_sha256 = ? AND state = 'succeeded' AND duplicate_of IS NULL AND job_id <> ?
     ORDER BY updated_at DESC LIMIT ?`,
  );

  return {
    readProgress: () => progressAll.all() as ProgressRow[],
    listJobs(options: ListJobsOptions = {}): JobRow[] {
      const limit = options.limit ?? LEDGER_DEFAULTS.listLimit;
      return (options.state ? jobsByState.all(options.state, limit) : jobsAll.all(limit)) as JobRow[];
    },
    /** How many jobs listJobs would give without its limit. */
    countJobs(state?: LedgerState): number {
      return ((state ? countByState.get(state) : countAll.get()) as { n: number }).n;
    },
    /** Which of these job ids the ledger has a row for (one query, however many). */
    knownJobIds(jobIds: readonly string[]): Set<string> {
      if (jobIds.length === 0) return new Set();
      const rows = knownOf.all(JSON.stringify(jobIds)) as { job_id: string }[];
      return new Set(rows.map((row) => row.job_id));
    },
    /** The rows of these job ids that the ledger has (one query, however many; in no order). */
    listJobsById(jobIds: readonly string[]): JobRow[] {
      if (jobIds.length === 0) return [];
      return rowsOf.all(JSON.stringify(jobIds)) as JobRow[];
    },
    getJob(jobId: string): JobDetail | undefined {
      const job = jobOne.get(jobId) as JobRow | undefined;
      if (!job) return undefined;
      const rows = artifactsOf.all(jobId) as Record<string, unknown>[];
      const artifacts = rows.map((row) => dropNulls(row) as unknown as ArtifactRecord);
      return {
        job,
        events: eventsOf.all(jobId) as EventRow[],
        stages: stagesOf.all(jobId) as StageRow[],
        errors: (errorsOf.all(jobId) as (Omit<ErrorRow, 'retryable'> & { retryable: number })[]).map(
          (row) => ({
            ...row,
            retryable: row.retryable === 1,
          }),
        ),
        artifacts,
        progress: progressOne.get(jobId) as ProgressRow | undefined,
      };
    },
    listSucceededByInput: (sha256: string, exceptJobId = '', limit: number = LEDGER_DEFAULTS.byInputLimit) =>
      byInput.all(sha256, exceptJobId, limit) as JobRow[],
  };
}

function dropNulls(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).filter(([, value]) => value !== null));
}
