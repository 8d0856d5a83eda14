/** Bumped when the tables change; CREATE ... IF NOT EXISTS keeps older files readable. */
export const RECEIPTS_SCHEMA_VERSION = 1;

export const RECEIPTS_SCHEMA = `
CREATE TABLE IF NOT EXISTS receipts (
  job_id TEXT NOT NULL,
  artifact_path TEXT NOT NULL,
  destination TEXT NOT NULL,
  backend TEXT NOT NULL,
  remote_path TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('delivered', 'failed')),
  final INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  error_code TEXT,
  error_message TEXT,
  next_attempt_at INTEGER,
  backend_fingerprint TEXT NOT NULL,
  verified_by TEXT,
  delivered_at TEXT,
  updated_at TEXT NOT NULL,
  replaced_by TEXT,
  PRIMARY KEY (job_id, artifact_path, destination)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS receipts_status ON receipts (status);
CREATE INDEX IF NOT EXISTS receipts_remote ON receipts (backend, remote_path);
CREATE TABLE IF NOT EXISTS local_hashes (
  path TEXT PRIMARY KEY,
  bytes INTEGER NOT NULL,
  mtime_ms REAL NOT NULL,
  sha256 TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runner (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  pid INTEGER NOT NULL,
  token TEXT NOT NULL,
  host TEXT NOT NULL,
  started_at TEXT NOT NULL
);
`;
