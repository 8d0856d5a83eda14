import { mkdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { STATE_LAYOUT, statePaths } from '@imk/config';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { ImkError, errorMessage } from '@imk/errors';
import {
  assertDatabaseIntact,
  assertRegularIfPresent,
  isCorruptDatabase,
  moveCorruptAside,
} from '@imk/fs-safe';
import { LEDGER_DEFAULTS } from './defaults.ts';
import { migrate } from './schema.ts';
import './errors.ts';

export const LEDGER_FILE_NAME = STATE_LAYOUT.ledger;

/** `<root>/state/ledger.sqlite` (ImkPaths.ledger): state local to this host, rebuildable from the folders. */
export function ledgerFile(root: string): string {
  return statePaths(root).ledger;
}

export interface OpenDatabaseOptions {
  file: string;
  /** How long a writer waits for another process's write lock before failing. @default LEDGER_DEFAULTS.busyTimeoutMs */
  busyTimeoutMs?: number;
  /**
   * What to do with a file that is not a database (or is damaged): 'throw' an ImkError LEDGER_CORRUPT
   * naming it, or 'move-aside' to `<file>.corrupt-<time>` and start a new one (the caller then rebuilds
   * it from the folders). @default 'throw'
   */
  onCorrupt?: 'throw' | 'move-aside';
  /** Told where a corrupt file was moved. */
  onMovedAside?: (movedTo: string) => void;
}

/**
 * Opens (creating if needed) the ledger in WAL mode, so readers (the dashboard, `imk jobs`) never block the
 * workers and several worker processes on one host can write, each waiting up to busy_timeout for the lock.
 */
export function openDatabase(options: OpenDatabaseOptions): Database {
  try {
    return openOnce(options);
  } catch (error) {
    if (!isCorruptDatabase(error)) throw error;
    if (options.onCorrupt !== 'move-aside')
      throw new ImkError(
        'LEDGER_CORRUPT',
        `the job ledger ${options.file} is corrupt (${errorMessage(error)}); run \`imk ledger rebuild\` to move it aside and rebuild it from queues/ and outputs/`,
        { cause: error, details: { file: options.file } },
      );
    const movedTo = moveCorruptAside(options.file);
    options.onMovedAside?.(movedTo);
    return openOnce(options);
  }
}

function openOnce(options: OpenDatabaseOptions): Database {
  mkdirSync(dirname(options.file), { recursive: true });
  let db: Database;
  try {
    // A FIFO, a device or a link in its place: SQLite says only "disk I/O error" (or writes through the link).
    assertRegularIfPresent(options.file, basename(options.file));
    db = new BetterSqlite3(options.file, { timeout: options.busyTimeoutMs ?? LEDGER_DEFAULTS.busyTimeoutMs });
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
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a power cut may lose the last transactions but never corrupts; the folders are the truth.
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? LEDGER_DEFAULTS.busyTimeoutMs}`);
    // Damaged pages behind a whole header: LEDGER_CORRUPT here (rebuilt at a worker's start), not a
    // "database disk image is malformed" naming no file at every later query.
    assertDatabaseIntact(db);
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}
