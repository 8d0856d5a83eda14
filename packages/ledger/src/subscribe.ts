import type { Database } from 'better-sqlite3';
import { LEDGER_DEFAULTS } from './defaults.ts';
import { ledgerFile, openDatabase } from './open-database.ts';
import type { ProgressRow } from './types.ts';

export interface ProgressReaderOptions {
  /** The folder holding `state/`. */
  root?: string;
  /** The ledger file; wins over `root`. */
  file?: string;
}

export interface SubscribeProgressOptions extends ProgressReaderOptions {
  /** How often the ledger is looked at. @default LEDGER_DEFAULTS.progressIntervalMs (as often as progress is written) */
  intervalMs?: number;
  /** Stops the subscription. */
  signal?: AbortSignal;
  /** Called when reading fails (the subscription keeps going). */
  onError?: (error: unknown) => void;
}

function open(options: ProgressReaderOptions): Database {
  return openDatabase({ file: options.file ?? ledgerFile(options.root ?? process.cwd()) });
}

/** Live progress of every job in a stage right now (one read; for a polling API). */
export function readProgress(options: ProgressReaderOptions): ProgressRow[] {
  const db = open(options);
  try {
    return db.prepare('SELECT * FROM progress ORDER BY updated_at DESC').all() as ProgressRow[];
  } finally {
    db.close();
  }
}

/**
 * Calls `listener` with every job's live progress whenever it changes (and once at the start). Polls:
 * `PRAGMA data_version` tells cheaply whether another connection (a worker) committed since the last look,
 * and only then are the rows read. Works across processes, which an in-process event emitter would not.
 * Returns a function that stops it.
 */
export function subscribeProgress(
  options: SubscribeProgressOptions,
  listener: (rows: ProgressRow[]) => void,
): () => void {
  const db = open(options);
  const select = db.prepare('SELECT * FROM progress ORDER BY job_id');
  let lastVersion = -1;
  let lastText = '';
  let stopped = false;

  const tick = () => {
    try {
      const version = db.pragma('data_version', { simple: true }) as number;
      if (version === lastVersion) return;
      lastVersion = version;
      const rows = select.all() as ProgressRow[];
      const text = JSON.stringify(rows);
      if (text === lastText) return;
      lastText = text;
      listener(rows);
    } catch (error) {
      options.onError?.(error);
    }
  };
  const timer = setInterval(tick, options.intervalMs ?? LEDGER_DEFAULTS.progressIntervalMs);
  timer.unref();
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    options.signal?.removeEventListener('abort', stop);
    db.close();
  };
  options.signal?.addEventListener('abort', stop, { once: true });
  tick();
  return stop;
}
