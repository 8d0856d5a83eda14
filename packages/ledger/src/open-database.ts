import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { ImkError } from '@imk/errors';
import { migrate } from './schema.ts';

export const LEDGER_FILE_NAME = 'ledger.sqlite';

/** `<root>/state/ledger.sqlite`: state local to this host, rebuildable from the folders. */
export function ledgerFile(root: string): string {
  return join(root, 'state', LEDGER_FILE_NAME);
}

export interface OpenDatabaseOptions {
  file: string;
  /** How long a writer waits for another process's write lock before failing. @default 5000 */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating if needed) the ledger in WAL mode, so readers (the dashboard, `imk jobs`) never block the
 * workers and several worker processes on one host can write, each waiting up to busy_timeout for the lock.
 */
export function openDatabase(options: OpenDatabaseOptions): Database {
  mkdirSync(dirname(options.file), { recursive: true });
  let db: Database;
  try {
    db = new BetterSqlite3(options.file, { timeout: options.busyTimeoutMs ?? 5000 });
  } catch (error) {
    throw new ImkError(
      'LEDGER_OPEN_FAILED',
      `cannot open the job ledger ${options.file}: ${(error as Error).message}`,
      {
        cause: error,
        details: { file: options.file },
      },
    );
  }
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a power cut may lose the last transactions but never corrupts; the folders are the truth.
  db.pragma('synchronous = NORMAL');
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  migrate(db);
  return db;
}
