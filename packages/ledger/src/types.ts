/**
 * A job's state as the ledger tracks it. The queue folders hold ready/claimed/succeeded/failed/rejected/
 * cancelled; the ledger adds what happens inside a claim (`running`) and why a claim ended (`retrying`,
 * `released`, `waiting`: given back to wait for something outside it, one event per wait, updated at
 * each look).
 */
export const LEDGER_STATES = [
  'ready',
  'claimed',
  'running',
  'retrying',
  'waiting',
  'released',
  'succeeded',
  'failed',
  'rejected',
  'cancelled',
] as const;
export type LedgerState = (typeof LEDGER_STATES)[number];

/** The facts of a job the ledger keeps in its `jobs` row. */
export interface JobFacts {
  queue?: string;
  sourceType?: string;
  artist?: string;
  album?: string;
  title?: string;
  inputSha256?: string;
  duplicateOf?: string;
  outputDir?: string;
}

export interface StateChange {
  state: LedgerState;
  stage?: string;
  attempt?: number;
  consumer?: string;
  message?: string;
  /** ISO 8601; @default now */
  at?: string;
}

export interface JobRow {
  job_id: string;
  queue: string | null;
  state: LedgerState;
  stage: string | null;
  attempts: number;
  source_type: string | null;
  artist: string | null;
  album: string | null;
  title: string | null;
  input_sha256: string | null;
  duplicate_of: string | null;
  consumer: string | null;
  output_dir: string | null;
  /**
   * The last thing that stopped the job, as its history said it: a failure, a retry's or a wait's reason, a
   * rejection, or a cancel (who asked and why); cleared when it succeeds.
   */
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface EventRow {
  at: string;
  state: LedgerState;
  stage: string | null;
  attempt: number | null;
  consumer: string | null;
  message: string | null;
}

/**
 * `ok`, `failed`, `cache_hit` (the separate stage found its stems in the cache), or `stopped` (the job was
 * stopped in this stage: cancelled, shut down, or its claim lost; not a failure of the stage).
 */
export type StageOutcome = 'ok' | 'failed' | 'cache_hit' | 'skipped' | 'stopped';

export interface StageRecord {
  stage: string;
  attempt?: number;
  /** ISO 8601 */
  startedAt: string;
  durationSec: number;
  outcome: StageOutcome;
  detail?: string;
}

export interface StageRow {
  stage: string;
  attempt: number | null;
  started_at: string;
  duration_sec: number;
  outcome: StageOutcome;
  detail: string | null;
}

export interface ErrorRecord {
  stage: string;
  message: string;
  attempt?: number;
  code?: string;
  retryable?: boolean;
  at?: string;
}

export interface ErrorRow {
  stage: string;
  attempt: number | null;
  code: string | null;
  message: string;
  retryable: boolean;
  at: string;
}

export interface ArtifactRecord {
  path: string;
  kind: string;
  variant?: string;
  label?: string;
  sha256?: string;
  bytes?: number;
  duration_sec?: number;
  codec?: string;
  container?: string;
}

/** Live progress of one job's current stage, for dashboards. */
export interface ProgressRow {
  job_id: string;
  stage: string;
  /** 0..100 */
  percent: number;
  attempt: number | null;
  consumer: string | null;
  updated_at: string;
}

export interface JobDetail {
  job: JobRow;
  events: EventRow[];
  stages: StageRow[];
  errors: ErrorRow[];
  artifacts: ArtifactRecord[];
  progress: ProgressRow | undefined;
}
