import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ReceiptStore } from './receipts.ts';
import { RECEIPTS_SCHEMA_VERSION } from './receipts-schema.ts';

// The receipts table as schema version 1 made it: one receipt per (job, artifact, destination).
const VERSION_1 = `
CREATE TABLE receipts (
  job_id TEXT NOT NULL, artifact_path TEXT NOT NULL, destination TEXT NOT NULL, backend TEXT NOT NULL,
  remote_path TEXT NOT NULL, sha256 TEXT NOT NULL, bytes INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('delivered', 'failed')), final INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0, error_code TEXT, error_message TEXT, next_attempt_at INTEGER,
  backend_fingerprint TEXT NOT NULL, verified_by TEXT, delivered_at TEXT, updated_at TEXT NOT NULL,
  replaced_by TEXT,
  PRIMARY KEY (job_id, artifact_path, destination)
) WITHOUT ROWID;
CREATE INDEX receipts_status ON receipts (status);
CREATE INDEX receipts_remote ON receipts (backend, remote_path);
CREATE TABLE local_hashes (path TEXT PRIMARY KEY, bytes INTEGER NOT NULL, mtime_ms REAL NOT NULL, sha256 TEXT NOT NULL);
PRAGMA user_version = 1;
`;

const SHA_V1 = 'a'.repeat(64);
const SHA_V2 = 'b'.repeat(64);

describe('sync receipts made by schema version 1', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'imk-receipts-migrate-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('keep every receipt, and then keep one receipt per delivered version', () => {
    const file = join(dir, 'nas-sync.sqlite');
    const old = new BetterSqlite3(file);
    old.pragma('journal_mode = WAL');
    old.exec(VERSION_1);
    old
      .prepare(
        `INSERT INTO receipts (job_id, artifact_path, destination, backend, remote_path, sha256, bytes, status,
          attempts, backend_fingerprint, verified_by, delivered_at, updated_at)
          VALUES ('job1', 'files/a.m4a', 'nas:/m/A.m4a', 'nas', '/m/A.m4a', ?, 10, 'delivered', 1, 'fp', 'read-back',
          '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
      )
      .run(SHA_V1);
    old.prepare("INSERT INTO local_hashes VALUES ('/o/a.m4a', 10, 1.5, ?)").run(SHA_V1);
    old.close();

    const store = ReceiptStore.open({ file })!;
    const kept = [...store.all().values()];
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({
      jobId: 'job1',
      remotePath: '/m/A.m4a',
      sha256: SHA_V1,
      status: 'delivered',
      verifiedBy: 'read-back',
      deliveredAt: '2026-01-01T00:00:00.000Z',
    });
    expect(store.localHash('/o/a.m4a', 10, 1.5)).toBe(SHA_V1);

    // The job was processed again: its new copy gets a receipt beside the first one's.
    store.record(
      {
        jobId: 'job1',
        artifactPath: 'files/a.m4a',
        destination: 'nas:/m/A.m4a',
        backend: 'nas',
        remotePath: '/m/A (2).m4a',
        sha256: SHA_V2,
        bytes: 12,
        backendFingerprint: 'fp',
      },
      { status: 'delivered', verifiedBy: 'read-back' },
      0,
    );
    expect([...store.all().values()].map((r) => [r.remotePath, r.sha256]).sort()).toEqual([
      ['/m/A (2).m4a', SHA_V2],
      ['/m/A.m4a', SHA_V1],
    ]);
    store.close();

    const check = new BetterSqlite3(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(RECEIPTS_SCHEMA_VERSION);
    const indexes = check
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'receipts' AND sql IS NOT NULL",
      )
      .all();
    expect(indexes).toHaveLength(2);
    check.close();
    // Opening again changes nothing.
    const again = ReceiptStore.open({ file })!;
    expect(again.all().size).toBe(2);
    again.close();
  });
  it('keep what verify found of a copy through a failed retry: a receipt from before the column keeps it too', () => {
    const file = join(dir, 'found-gone.sqlite');
    const old = new BetterSqlite3(file);
    old.exec(VERSION_1);
    old
      .prepare(
        `INSERT INTO receipts (job_id, artifact_path, destination, backend, remote_path, sha256, bytes, status,
          final, attempts, error_code, error_message, backend_fingerprint, updated_at)
          VALUES ('job1', 'files/a.m4a', 'nas:/m/A.m4a', 'nas', '/m/A (2).m4a', ?, 10, 'failed', 1, 1,
          'REMOTE_MISSING', 'gone', 'fp', '2026-01-01T00:00:00.000Z')`,
      )
      .run(SHA_V1);
    old.close();
    const store = ReceiptStore.open({ file })!;
    const [gone] = [...store.all().values()];
    expect(gone?.verifyFinding).toBe('REMOTE_MISSING');
    // `imk sync retry` sends it again and the NAS is down: the error says so, the finding stays.
    store.record(
      { ...gone!, remotePath: '/m/A (2).m4a' },
      { status: 'failed', final: false, errorCode: 'HOST_DOWN', errorMessage: 'down', nextAttemptAt: 1 },
      gone!.attempts,
    );
    expect([...store.all().values()][0]).toMatchObject({
      errorCode: 'HOST_DOWN',
      verifyFinding: 'REMOTE_MISSING',
      remotePath: '/m/A (2).m4a',
    });
    store.record(gone!, { status: 'delivered', verifiedBy: 'read-back' }, 2);
    expect([...store.all().values()][0]).toMatchObject({ status: 'delivered', verifyFinding: undefined });
    store.close();
  });
});
