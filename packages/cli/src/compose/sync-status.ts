import type { Logger } from '@imk/log';
import {
  describeConflict,
  getSyncStatus,
  loadNasSyncConfig,
  type ReleasedCopy,
  type StatusRow,
} from '@imk/nas-sync-service';
import type { SyncEntry, SyncStatusSource } from '@imk/web-service';

function entryOf(row: StatusRow): SyncEntry {
  const conflict = describeConflict(row);
  return {
    ...(conflict !== undefined && { conflict }),
    path: row.artifact,
    destination: row.backend,
    status: row.state,
    ...(row.skipped_by !== undefined && { detail: `skipped by route ${row.skipped_by}` }),
    ...(row.skipped_by === undefined &&
      (row.error ?? row.remote_path) && { detail: row.error ?? row.remote_path }),
    ...(row.delivered_at !== undefined && { at: row.delivered_at }),
  };
}

/** A copy found gone that can never come back, as `imk sync status` lists it under `released`. */
function releasedEntryOf(copy: ReleasedCopy): SyncEntry {
  return {
    path: copy.artifact,
    destination: copy.backend,
    status: 'released',
    detail: `${copy.remote_path}: ${copy.reason}`,
  };
}

/** nas-sync's status (its receipts and routes, read-only) as the dashboard reads it. */
export function nasSyncStatusSource(root: string, logger: Logger): SyncStatusSource {
  return {
    async enabled() {
      return (await loadNasSyncConfig(root)).state === 'enabled';
    },
    async entries(jobId) {
      const status = await getSyncStatus({ root, logger, ...(jobId !== undefined && { jobId }) });
      return [...status.rows.map(entryOf), ...status.released.map(releasedEntryOf)];
    },
  };
}
