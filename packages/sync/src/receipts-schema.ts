import { mkdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { ImkError, errorMessage } from '@imk/errors';
import { assertDatabaseIntact, assertRegularIfPresent } from '@imk/fs-safe';
import { VERIFY_FINDING_CODES } from './errors.ts';
import type { OpenReceiptStoreOptions } from './receipts.ts';

/**
 * Bumped when the tables change; migrateReceipts brings older files up to it, keeping their receipts.
 * 2: the receipt key holds the sha256, so every delivered version of an artifact keeps its receipt.
 * 3: `verify_finding` keeps what `imk sync verify` found of a delivered copy (gone or altered) through failed
 * retries, so the receipt goes on holding its path (conflicts.ts holdsPath).
 * 4: `found_as` keeps the name of a file no receipt wrote, found beside a copy's route path under a name one
 * with it (case, accent encoding), that made the copy numbered: what `imk sync status` says as the reason.
 * 5: `location` keeps where the backend put files when this receipt was written (fingerprint.ts
 * backendLocation): a delivered copy counts only while its backend still writes there.
 */
export const RECEIPTS_SCHEMA_VERSION = 5;

// One receipt per delivered version: a re-processed artifact's new copy must not forget the earlier one.
const RECEIPTS_TABLE = (name: string) => `
CREATE TABLE IF NOT EXISTS ${name} (
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
  verify_finding TEXT,
  found_as TEXT,
  location TEXT,
  PRIMARY KEY (job_id, artifact_path, destination, sha256)
) WITHOUT ROWID;`;

export const RECEIPTS_SCHEMA = `${RECEIPTS_TABLE('receipts')}
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

/**
 * Brings a receipts file made by an earlier version up to RECEIPTS_SCHEMA_VERSION, in one transaction:
 * adds `replaced_by` (files made before conflict policies), `verify_finding` (filled from the error code
 * of a copy verify found gone or altered), `found_as` and `location` (empty: filled by the next pass), then re-keys the table by sha256 (version 1 kept one receipt per
 * artifact and destination; every row carries over).
 */
export function migrateReceipts(db: Database): void {
  db.transaction(() => {
    const columns = db.pragma('table_info(receipts)') as { name: string; pk: number }[];
    if (!columns.some((column) => column.name === 'replaced_by'))
      db.exec('ALTER TABLE receipts ADD COLUMN replaced_by TEXT');
    if (!columns.some((column) => column.name === 'verify_finding')) {
      db.exec('ALTER TABLE receipts ADD COLUMN verify_finding TEXT');
      db.exec(
        `UPDATE receipts SET verify_finding = error_code WHERE error_code IN (${VERIFY_FINDING_CODES.map((code) => `'${code}'`).join(', ')})`,
      );
    }
    if (!columns.some((column) => column.name === 'found_as'))
      db.exec('ALTER TABLE receipts ADD COLUMN found_as TEXT');
    if (!columns.some((column) => column.name === 'location'))
      db.exec('ALTER TABLE receipts ADD COLUMN location TEXT');
    if (!columns.some((column) => column.name === 'sha256' && column.pk > 0)) {
      db.exec(RECEIPTS_TABLE('receipts_v2'));
      const names = RECEIPT_COLUMNS.join(', ');
      db.exec(`INSERT INTO receipts_v2 (${names}) SELECT ${names} FROM receipts`);
      db.exec('DROP TABLE receipts');
      db.exec('ALTER TABLE receipts_v2 RENAME TO receipts');
      db.exec(RECEIPTS_SCHEMA);
    }
    db.pragma(`user_version = ${RECEIPTS_SCHEMA_VERSION}`);
  }).immediate();
}

const RECEIPT_COLUMNS = [
  'job_id',
  'artifact_path',
  'destination',
  'backend',
  'remote_path',
  'sha256',
  'bytes',
  'status',
  'final',
  'attempts',
  'error_code',
  'error_message',
  'next_attempt_at',
  'backend_fingerprint',
  'verified_by',
  'delivered_at',
  'updated_at',
  'replaced_by',
  'verify_finding',
  'found_as',
  'location',
];

/** Opens (or makes) the receipts database at `options.file`, with its tables at RECEIPTS_VERSION. */
export function openReceiptsDb(options: Pick<OpenReceiptStoreOptions, 'file' | 'readonly'>): Database {
  if (!options.readonly) mkdirSync(dirname(options.file), { recursive: true });
  // A FIFO, a device or a link in its place: SQLite says only "disk I/O error" (or writes through the link).
  assertRegularIfPresent(options.file, basename(options.file));
  const db = new BetterSqlite3(options.file, { readonly: options.readonly ?? false, timeout: 5000 });
  try {
    // Damaged pages behind a whole header: found here, named and moved aside, not at every pass's query.
    assertDatabaseIntact(db);
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a commit survives a crash or kill of this process at once, and a power cut may
      // lose only the last receipts, whose files are then checked and sent again (harmless). FULL would
      // fsync on every receipt, which on ext4 also waits for the data of files just copied.
      db.pragma('synchronous = NORMAL');
      db.exec(RECEIPTS_SCHEMA);
      migrateReceipts(db);
    } else {
      // A read-only open reads nothing yet: ask once, so a corrupt file is found here.
      db.pragma('user_version');
    }
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

export function openFailed(file: string, error: unknown): ImkError {
  return new ImkError(
    'RECEIPTS_OPEN_FAILED',
    `cannot open the sync receipts ${file}: ${errorMessage(error)}`,
    {
      cause: error,
      details: { file },
    },
  );
}
