import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Database, Statement } from 'better-sqlite3';
import { ImkError, errorMessage } from '@imk/errors';
import { STATE_LAYOUT, statePaths } from '@imk/config';
import { isCorruptDatabase, moveCorruptAside, processAlive } from '@imk/fs-safe';
import { openFailed, openReceiptsDb } from './receipts-schema.ts';
import {
  fromRow,
  receiptKey,
  type Receipt,
  type ReceiptKey,
  type ReceiptOutcome,
  type ReceiptWrite,
  type Row,
} from './receipt-record.ts';

export { receiptKey } from './receipt-record.ts';
export type { Receipt, ReceiptKey, ReceiptOutcome, ReceiptWrite } from './receipt-record.ts';

export const RECEIPTS_FILE_NAME = STATE_LAYOUT.receipts;

/** `<root>/state/nas-sync.sqlite` (ImkPaths.receipts). */
export function receiptsFile(root: string): string {
  return statePaths(root).receipts;
}

export interface OpenReceiptStoreOptions {
  file: string;
  /** Open an existing file for reading only (status, dry runs); never creates it. */
  readonly?: boolean;
  /** Told where a corrupt file was moved (`<file>.corrupt-<time>`) before a new one was made. */
  onMovedAside?: (movedTo: string) => void;
}

/** The runner locks this process holds (their tokens): a record naming this process's pid is held only by these. */
const runnersHeldHere = new Set<string>();

/**
 * Whether the runner a record names still runs. A record with this process's own pid that this process
 * never took was left by an earlier process that had the same pid: in a container (a new PID namespace at
 * each start) a nas-sync killed outright (the OOM killer, `docker kill`) comes back with its old pid, and
 * took its own record for a live runner (`nas-sync is already running (pid 7)`) at every restart.
 */
function runnerAlive(pid: number, token: string): boolean {
  if (pid === process.pid) return runnersHeldHere.has(token);
  return processAlive(pid);
}

/** The durable memory of what was delivered where: one row per (job, artifact, destination, sha256). */
export class ReceiptStore {
  readonly file: string;
  private readonly db: Database;
  private readonly statements: Record<string, Statement>;
  private runnerToken: string | undefined;

  private constructor(file: string, db: Database) {
    this.file = file;
    this.db = db;
    const readonly = db.readonly;
    this.statements = readonly
      ? {}
      : {
          upsert: db.prepare(`
            INSERT INTO receipts (job_id, artifact_path, destination, backend, remote_path, sha256, bytes, status, final,
              attempts, error_code, error_message, next_attempt_at, backend_fingerprint, verified_by, delivered_at, updated_at,
              verify_finding, found_as, location)
            VALUES (@job_id, @artifact_path, @destination, @backend, @remote_path, @sha256, @bytes, @status, @final,
              @attempts, @error_code, @error_message, @next_attempt_at, @backend_fingerprint, @verified_by, @delivered_at, @updated_at,
              @verify_finding, @found_as, @location)
            ON CONFLICT (job_id, artifact_path, destination, sha256) DO UPDATE SET
              backend = excluded.backend, remote_path = excluded.remote_path,
              bytes = excluded.bytes, status = excluded.status, final = excluded.final, attempts = excluded.attempts,
              error_code = excluded.error_code, error_message = excluded.error_message,
              next_attempt_at = excluded.next_attempt_at, backend_fingerprint = excluded.backend_fingerprint,
              verified_by = excluded.verified_by, delivered_at = excluded.delivered_at, updated_at = excluded.updated_at,
              replaced_by = NULL, location = COALESCE(excluded.location, receipts.location),
              -- A copy sent again to the path it holds (after verify found it gone) keeps why it is numbered.
              found_as = CASE WHEN excluded.remote_path = receipts.remote_path
                THEN COALESCE(excluded.found_as, receipts.found_as) ELSE excluded.found_as END,
              -- A failed retry of a copy verify found gone or altered keeps that finding (holdsPath reads it).
              verify_finding = CASE WHEN excluded.status = 'delivered' THEN NULL
                ELSE COALESCE(excluded.verify_finding, receipts.verify_finding) END`),
          // What a new outcome of one version makes moot: failed attempts at other versions, and (once
          // delivered) a receipt of another version at the very path this copy now holds (conflict: replace).
          supersede: db.prepare(
            `DELETE FROM receipts WHERE job_id = @job_id AND artifact_path = @artifact_path AND destination = @destination
              AND sha256 != @sha256 AND (status = 'failed' OR (@status = 'delivered' AND backend = @backend AND remote_path = @remote_path))`,
          ),
          // Every receipt that held the path (holdsPath: delivered, or a verify finding on a delivered copy).
          replaced: db.prepare(
            `UPDATE receipts SET replaced_by = ?, updated_at = ? WHERE backend = ? AND remote_path = ?
              AND (status = 'delivered' OR verify_finding IS NOT NULL)
              AND NOT (job_id = ? AND artifact_path = ?)`,
          ),
          localHashGet: db.prepare(
            'SELECT sha256 FROM local_hashes WHERE path = ? AND bytes = ? AND mtime_ms = ?',
          ),
          localHashPut: db.prepare(
            'INSERT OR REPLACE INTO local_hashes (path, bytes, mtime_ms, sha256) VALUES (?, ?, ?, ?)',
          ),
        };
  }

  /** Opens (creating when needed) the receipts database in WAL mode. Returns undefined for a missing read-only file. */
  static open(options: OpenReceiptStoreOptions): ReceiptStore | undefined {
    if (options.readonly && !existsSync(options.file)) return undefined;
    try {
      return new ReceiptStore(options.file, openReceiptsDb(options));
    } catch (error) {
      if (!isCorruptDatabase(error)) throw openFailed(options.file, error);
      if (options.readonly)
        throw new ImkError(
          'RECEIPTS_CORRUPT',
          `the sync receipts ${options.file} are corrupt (${errorMessage(error)}); the next nas-sync pass moves the file aside and checks every delivery again`,
          { cause: error, details: { file: options.file } },
        );
      // Receipts only save work: without them every artifact is checked at its destination again.
      const movedTo = moveCorruptAside(options.file);
      options.onMovedAside?.(movedTo);
      try {
        return new ReceiptStore(options.file, openReceiptsDb(options));
      } catch (again) {
        throw openFailed(options.file, again);
      }
    }
  }

  /** Every receipt, by receiptKey(). One query: a pass with nothing to do stays fast. */
  all(): Map<string, Receipt> {
    // A read-only store may look at a file its writer has created but not yet given tables.
    if (this.db.readonly && !this.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'receipts'").get())
      return new Map();
    const rows = this.db.prepare('SELECT * FROM receipts').all() as Row[];
    return new Map(
      rows.map((row) => [
        receiptKey({
          jobId: row.job_id,
          artifactPath: row.artifact_path,
          destination: row.destination,
          sha256: row.sha256,
        }),
        fromRow(row),
      ]),
    );
  }

  /**
   * Records the outcome of a transfer of this version of the artifact. Receipts of other delivered versions
   * stay (their copies are still on the destination), except one whose path this copy now holds.
   */
  record(write: ReceiptWrite, outcome: ReceiptOutcome, previousAttempts: number): void {
    this.db.transaction(() => {
      const row = this.write(write, outcome, previousAttempts);
      this.statements.supersede?.run({
        job_id: row.job_id,
        artifact_path: row.artifact_path,
        destination: row.destination,
        sha256: row.sha256,
        status: row.status,
        backend: row.backend,
        remote_path: row.remote_path,
      });
    })();
  }

  /** Records what `verify` found of one delivered copy (gone or altered), touching no other receipt. */
  recordCheck(receipt: Receipt, outcome: ReceiptOutcome & { status: 'failed' }): void {
    this.write(receipt, outcome, receipt.attempts, outcome.errorCode);
  }

  private write(
    write: ReceiptWrite,
    outcome: ReceiptOutcome,
    previousAttempts: number,
    verifyFinding?: string,
  ) {
    const now = new Date().toISOString();
    const row = {
      job_id: write.jobId,
      artifact_path: write.artifactPath,
      destination: write.destination,
      backend: write.backend,
      remote_path: write.remotePath,
      sha256: write.sha256,
      bytes: write.bytes,
      status: outcome.status,
      final: outcome.status === 'failed' && outcome.final ? 1 : 0,
      attempts: previousAttempts + 1,
      error_code: outcome.status === 'failed' ? outcome.errorCode : null,
      error_message: outcome.status === 'failed' ? outcome.errorMessage : null,
      next_attempt_at: outcome.status === 'failed' ? (outcome.nextAttemptAt ?? null) : null,
      backend_fingerprint: write.backendFingerprint,
      verified_by: outcome.status === 'delivered' ? outcome.verifiedBy : null,
      delivered_at: outcome.status === 'delivered' ? now : null,
      updated_at: now,
      verify_finding: verifyFinding ?? null,
      found_as: write.foundAs ?? null,
      location: write.location ?? null,
    };
    this.statements.upsert?.run(row);
    return row;
  }

  /** Drops one receipt (a copy of an earlier version that verify found gone or altered: nothing can re-send it). */
  forget(key: ReceiptKey): void {
    this.db
      .prepare(
        'DELETE FROM receipts WHERE job_id = ? AND artifact_path = ? AND destination = ? AND sha256 = ?',
      )
      .run(key.jobId, key.artifactPath, key.destination, key.sha256);
  }

  /** Marks the delivered copies at a path as replaced by another artifact (conflict: replace). */
  markReplaced(backend: string, remotePath: string, by: { jobId: string; artifactPath: string }): void {
    this.statements.replaced?.run(
      `${by.jobId}:${by.artifactPath}`,
      new Date().toISOString(),
      backend,
      remotePath,
      by.jobId,
      by.artifactPath,
    );
  }

  /** Makes failed transfers due now (all, or one job's). Returns how many. */
  /**
   * Gives the receipts written before locations were kept (Receipt.location) their backend's present place,
   * once: without it they would count for any place (receipts-schema.ts version 5).
   */
  adoptLocations(locations: ReadonlyMap<string, string>): void {
    const adopt = this.db.prepare('UPDATE receipts SET location = ? WHERE backend = ? AND location IS NULL');
    this.db.transaction(() => locations.forEach((location, backend) => adopt.run(location, backend)))();
  }

  resetFailures(jobId?: string): number {
    const sql = `UPDATE receipts SET final = 0, next_attempt_at = NULL, attempts = 0 WHERE status = 'failed'${jobId ? ' AND job_id = ?' : ''}`;
    return this.db.prepare(sql).run(...(jobId ? [jobId] : [])).changes;
  }

  /** Cached sha256 of a local file (legacy manifests carry none), valid while size and mtime are unchanged. */
  localHash(path: string, bytes: number, mtimeMs: number): string | undefined {
    const row = this.statements.localHashGet?.get(path, bytes, mtimeMs) as { sha256: string } | undefined;
    return row?.sha256;
  }

  saveLocalHash(path: string, bytes: number, mtimeMs: number, sha256: string): void {
    this.statements.localHashPut?.run(path, bytes, mtimeMs, sha256);
  }

  /**
   * Takes the single-runner lock of this host's state folder: returns the pid holding it when another live
   * runner (another process, or another engine in this one) has it. A lock left by a killed process is taken over.
   */
  acquireRunner(): number | undefined {
    const token = randomUUID();
    const holder = this.db
      .transaction((): number | undefined => {
        const row = this.db.prepare('SELECT pid, host, token FROM runner WHERE id = 1').get() as
          { pid: number; host: string; token: string } | undefined;
        if (row && row.host === hostname() && runnerAlive(row.pid, row.token)) return row.pid;
        this.db
          .prepare('INSERT OR REPLACE INTO runner (id, pid, token, host, started_at) VALUES (1, ?, ?, ?, ?)')
          .run(process.pid, token, hostname(), new Date().toISOString());
        return undefined;
      })
      .immediate();
    if (holder === undefined) {
      this.runnerToken = token;
      runnersHeldHere.add(token);
    }
    return holder;
  }

  releaseRunner(): void {
    if (this.runnerToken) {
      this.db.prepare('DELETE FROM runner WHERE id = 1 AND token = ?').run(this.runnerToken);
      runnersHeldHere.delete(this.runnerToken);
    }
    this.runnerToken = undefined;
  }

  /** The pid of the live nas-sync process using this state folder, if any. */
  runnerPid(): number | undefined {
    if (this.db.readonly && !this.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'runner'").get())
      return undefined;
    const row = this.db.prepare('SELECT pid, host FROM runner WHERE id = 1').get() as
      { pid: number; host: string } | undefined;
    return row && row.host === hostname() && processAlive(row.pid) ? row.pid : undefined;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
