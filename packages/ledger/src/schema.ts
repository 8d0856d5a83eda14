import type { Database } from 'better-sqlite3';

/** Bumped when the tables change; an older file is migrated forward by `migrate`. */
export const LEDGER_SCHEMA_VERSION = 1;

const V1 = `
CREATE TABLE IF NOT EXISTS jobs (
  job_id TEXT PRIMARY KEY,
  queue TEXT,
  state TEXT NOT NULL,
  stage TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  source_type TEXT,
  artist TEXT,
  album TEXT,
  title TEXT,
  input_sha256 TEXT,
  duplicate_of TEXT,
  consumer TEXT,
  output_dir TEXT,
  last_error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, updated_at);
CREATE INDEX IF NOT EXISTS jobs_input ON jobs(input_sha256, state);

CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL,
  at TEXT NOT NULL,
  state TEXT NOT NULL,
  stage TEXT,
  attempt INTEGER,
  consumer TEXT,
  message TEXT
);
CREATE INDEX IF NOT EXISTS events_job ON events(job_id, id);

CREATE TABLE IF NOT EXISTS stages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL,
  attempt INTEGER,
  stage TEXT NOT NULL,
  started_at TEXT NOT NULL,
  duration_sec REAL NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT
);
CREATE INDEX IF NOT EXISTS stages_job ON stages(job_id, id);

CREATE TABLE IF NOT EXISTS errors (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL,
  attempt INTEGER,
  stage TEXT NOT NULL,
  code TEXT,
  message TEXT NOT NULL,
  retryable INTEGER NOT NULL DEFAULT 0,
  at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS errors_job ON errors(job_id, id);

CREATE TABLE IF NOT EXISTS artifacts (
  job_id TEXT NOT NULL,
  path TEXT NOT NULL,
  kind TEXT NOT NULL,
  variant TEXT,
  label TEXT,
  sha256 TEXT,
  bytes INTEGER,
  duration_sec REAL,
  codec TEXT,
  container TEXT,
  PRIMARY KEY (job_id, path)
);

CREATE TABLE IF NOT EXISTS progress (
  job_id TEXT PRIMARY KEY,
  stage TEXT NOT NULL,
  percent REAL NOT NULL,
  attempt INTEGER,
  consumer TEXT,
  updated_at TEXT NOT NULL
);
`;

/** Creates the tables (idempotent) and records the schema version in `user_version`. */
export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current >= LEDGER_SCHEMA_VERSION) return;
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(V1);
    db.pragma(`user_version = ${LEDGER_SCHEMA_VERSION}`);
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

/** Every table holding rows about jobs (for a rebuild). */
export const JOB_TABLES = ['jobs', 'events', 'stages', 'errors', 'artifacts', 'progress'] as const;
