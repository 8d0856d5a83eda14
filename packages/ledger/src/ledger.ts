import type { Database, Statement } from 'better-sqlite3';
import { LEDGER_DEFAULTS } from './defaults.ts';
import { ledgerFile, openDatabase } from './open-database.ts';
import { createProgressWriter, type ProgressUpdate } from './progress-writer.ts';
import { createQueries, type ListJobsOptions } from './queries.ts';
import type {
  ArtifactRecord,
  ErrorRecord,
  JobDetail,
  JobFacts,
  JobRow,
  LedgerState,
  ProgressRow,
  StageRecord,
  StateChange,
} from './types.ts';

export interface OpenLedgerOptions {
  /** The folder holding `state/`; the ledger is `<root>/state/ledger.sqlite`. */
  root?: string;
  /** The ledger file itself; wins over `root`. */
  file?: string;
  /** How long a writer waits for another process's write lock. @default LEDGER_DEFAULTS.busyTimeoutMs */
  busyTimeoutMs?: number;
  /** A corrupt file: throw LEDGER_CORRUPT naming it, or move it aside and start anew. @default 'throw' */
  onCorrupt?: 'throw' | 'move-aside';
  /** Told where a corrupt file was moved. */
  onMovedAside?: (movedTo: string) => void;
  /** A job's progress is written at most this often (stage changes and 100 % always are). @default LEDGER_DEFAULTS.progressIntervalMs */
  progressIntervalMs?: number;
}

/** The job ledger: every state change, stage, error and artifact of every job, and live stage progress. */
export interface Ledger {
  readonly file: string;
  readonly db: Database;
  /** Creates the job's row or fills in facts it did not have yet (never erases a known fact). */
  upsertJob(jobId: string, facts: JobFacts): void;
  /**
   * Records a state change with its time, and moves the job's row to that state. A `waiting` change that
   * follows the job's `waiting` event (the same wait, looked at again) updates that event, keeping when the
   * wait began: a day's wait is one line of the job's history, not thousands.
   */
  recordState(jobId: string, change: StateChange, facts?: JobFacts): void;
  recordStage(jobId: string, record: StageRecord): void;
  recordError(jobId: string, record: ErrorRecord): void;
  /** Replaces the job's artifact list. */
  recordArtifacts(jobId: string, artifacts: readonly ArtifactRecord[]): void;
  /** Live progress of the job's current stage, throttled; returns whether it was written. */
  setProgress(jobId: string, update: ProgressUpdate): boolean;
  clearProgress(jobId: string): void;
  readProgress(): ProgressRow[];
  listJobs(options?: ListJobsOptions): JobRow[];
  /** How many jobs there are (in this state): listJobs without its limit. */
  countJobs(state?: LedgerState): number;
  /** Which of these job ids the ledger has a row for (one query, however many). */
  knownJobIds(jobIds: readonly string[]): Set<string>;
  /** The rows of these job ids that the ledger has (one query, however many; in no order). */
  listJobsById(jobIds: readonly string[]): JobRow[];
  getJob(jobId: string): JobDetail | undefined;
  /** The most recent succeeded job (not itself a duplicate) whose input had this sha256. */
  findSucceededByInput(sha256: string, exceptJobId?: string): JobRow | undefined;
  /** Succeeded jobs (not themselves duplicates) whose input had this sha256, most recent first. */
  listSucceededByInput(sha256: string, exceptJobId?: string, limit?: number): JobRow[];
  close(): void;
}

const TERMINAL_FOR_PROGRESS = new Set([
  'succeeded',
  'failed',
  'rejected',
  'cancelled',
  'retrying',
  'waiting',
  'released',
  'ready',
]);

export function openLedger(options: OpenLedgerOptions): Ledger {
  const file = options.file ?? ledgerFile(options.root ?? process.cwd());
  const db = openDatabase({
    file,
    busyTimeoutMs: options.busyTimeoutMs,
    onCorrupt: options.onCorrupt,
    onMovedAside: options.onMovedAside,
  });
  const now = () => new Date().toISOString();

  const upsert: Statement = db.prepare(`
    INSERT INTO jobs (job_id, queue, state, source_type, artist, album, title, input_sha256, duplicate_of,
                      output_dir, created_at, updated_at)
    VALUES (@job_id, @queue, @state, @source_type, @artist, @album, @title, @input_sha256, @duplicate_of,
            @output_dir, @at, @at)
    ON CONFLICT(job_id) DO UPDATE SET
      queue = coalesce(excluded.queue, queue),
      source_type = coalesce(excluded.source_type, source_type),
      artist = coalesce(excluded.artist, artist),
      album = coalesce(excluded.album, album),
      title = coalesce(excluded.title, title),
      input_sha256 = coalesce(excluded.input_sha256, input_sha256),
      duplicate_of = coalesce(excluded.duplicate_of, duplicate_of),
      output_dir = coalesce(excluded.output_dir, output_dir)`);
  const moveState = db.prepare(`
    UPDATE jobs SET state = @state, stage = @stage, consumer = coalesce(@consumer, consumer),
      attempts = max(attempts, coalesce(@attempt, 0)),
      last_error = CASE WHEN @state IN ('failed', 'retrying', 'rejected', 'waiting', 'cancelled') THEN coalesce(@message, last_error)
                        WHEN @state = 'succeeded' THEN NULL ELSE last_error END,
      updated_at = @at
    WHERE job_id = @job_id`);
  const insertEvent = db.prepare(`
    INSERT INTO events (job_id, at, state, stage, attempt, consumer, message)
    VALUES (@job_id, @at, @state, @stage, @attempt, @consumer, @message)`);
  const lastEvent = db.prepare<[string], { id: number; state: string }>(
    'SELECT id, state FROM events WHERE job_id = ? ORDER BY id DESC LIMIT 1',
  );
  const updateEvent = db.prepare(`
    UPDATE events SET stage = @stage, attempt = @attempt, consumer = @consumer, message = @message
    WHERE id = @id`);
  const insertStage = db.prepare(`
    INSERT INTO stages (job_id, attempt, stage, started_at, duration_sec, outcome, detail)
    VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const insertError = db.prepare(`
    INSERT INTO errors (job_id, attempt, stage, code, message, retryable, at) VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const deleteArtifacts = db.prepare('DELETE FROM artifacts WHERE job_id = ?');
  const insertArtifact = db.prepare(`
    INSERT INTO artifacts (job_id, path, kind, variant, label, sha256, bytes, duration_sec, codec, container)
    VALUES (@job_id, @path, @kind, @variant, @label, @sha256, @bytes, @duration_sec, @codec, @container)`);
  const deleteProgress = db.prepare('DELETE FROM progress WHERE job_id = ?');
  const queries = createQueries(db);
  const progress = createProgressWriter(db, options.progressIntervalMs ?? LEDGER_DEFAULTS.progressIntervalMs);

  function upsertJob(jobId: string, facts: JobFacts, state = 'ready', at = now()): void {
    upsert.run({
      job_id: jobId,
      queue: facts.queue ?? null,
      state,
      source_type: facts.sourceType ?? null,
      artist: facts.artist ?? null,
      album: facts.album ?? null,
      title: facts.title ?? null,
      input_sha256: facts.inputSha256 ?? null,
      duplicate_of: facts.duplicateOf ?? null,
      output_dir: facts.outputDir ?? null,
      at,
    });
  }

  const recordState = db.transaction((jobId: string, change: StateChange, facts: JobFacts = {}) => {
    const at = change.at ?? now();
    upsertJob(jobId, facts, change.state, at);
    const row = {
      job_id: jobId,
      at,
      state: change.state,
      stage: change.stage ?? null,
      attempt: change.attempt ?? null,
      consumer: change.consumer ?? null,
      message: change.message ?? null,
    };
    moveState.run(row);
    const last = change.state === 'waiting' ? lastEvent.get(jobId) : undefined;
    if (last?.state === 'waiting') updateEvent.run({ ...row, id: last.id });
    else insertEvent.run(row);
    if (TERMINAL_FOR_PROGRESS.has(change.state)) {
      deleteProgress.run(jobId);
      progress.forget(jobId);
    }
  });

  const recordArtifacts = db.transaction((jobId: string, artifacts: readonly ArtifactRecord[]) => {
    deleteArtifacts.run(jobId);
    for (const artifact of artifacts)
      insertArtifact.run({
        job_id: jobId,
        path: artifact.path,
        kind: artifact.kind,
        variant: artifact.variant ?? null,
        label: artifact.label ?? null,
        sha256: artifact.sha256 ?? null,
        bytes: artifact.bytes ?? null,
        duration_sec: artifact.duration_sec ?? null,
        codec: artifact.codec ?? null,
        container: artifact.container ?? null,
      });
  });

  return {
    file,
    db,
    upsertJob: (jobId, facts) => upsertJob(jobId, facts),
    recordState: (jobId, change, facts) => recordState(jobId, change, facts),
    recordStage(jobId, record) {
      insertStage.run(
        jobId,
        record.attempt ?? null,
        record.stage,
        record.startedAt,
        record.durationSec,
        record.outcome,
        record.detail ?? null,
      );
    },
    recordError(jobId, record) {
      insertError.run(
        jobId,
        record.attempt ?? null,
        record.stage,
        record.code ?? null,
        record.message,
        record.retryable ? 1 : 0,
        record.at ?? now(),
      );
    },
    recordArtifacts: (jobId, artifacts) => recordArtifacts(jobId, artifacts),
    setProgress: (jobId, update) => progress.set(jobId, update),
    clearProgress(jobId) {
      deleteProgress.run(jobId);
      progress.forget(jobId);
    },
    readProgress: () => queries.readProgress(),
    listJobs: (listOptions) => queries.listJobs(listOptions),
    countJobs: (state) => queries.countJobs(state),
    knownJobIds: (jobIds) => queries.knownJobIds(jobIds),
    listJobsById: (jobIds) => queries.listJobsById(jobIds),
    getJob: (jobId) => queries.getJob(jobId),
    findSucceededByInput: (sha256, exceptJobId) => queries.listSucceededByInput(sha256, exceptJobId, 1)[0],
    listSucceededByInput: (sha256, exceptJobId, limit) =>
      queries.listSucceededByInput(sha256, exceptJobId, limit),
    close() {
      if (db.open) db.close();
    },
  };
}
