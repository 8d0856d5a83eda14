import type { ImkPaths } from '@imk/config';
import { errorMessage } from '@imk/errors';
import type { Logger } from '@imk/log';
import { describeConflict, getSyncStatus, loadNasSyncConfig, type StatusRow } from '@imk/nas-sync-service';

/** Delivery of one artifact to one destination, from nas-sync's receipts and routes. */
export interface SyncEntry {
  /** Artifact path inside outputs/<job_id>/. */
  path: string;
  /** Backend name, or "(unrouted)". */
  destination: string;
  status: StatusRow['state'];
  /** Remote path when delivered or pending; the error when failed. */
  detail?: string;
  /** Set when the route's path held another file: what the conflict policy did (renamed, failed, replaced). */
  conflict?: string;
  at?: string;
}

export interface SyncView {
  /** Whether nas-sync is configured and enabled (else the dashboard says nothing about sync). */
  enabled(): Promise<boolean>;
  forJob(jobId: string): Promise<SyncEntry[]>;
  counts(): Promise<{ destination: string; status: string; count: number }[]>;
  close(): void;
}

const COUNTS_TTL_MS = 10_000;

function entryOf(row: StatusRow): SyncEntry {
  const conflict = describeConflict(row);
  return {
    ...(conflict !== undefined && { conflict }),
    path: row.artifact,
    destination: row.backend,
    status: row.state,
    ...((row.error ?? row.remote_path) && { detail: row.error ?? row.remote_path }),
    ...(row.delivered_at !== undefined && { at: row.delivered_at }),
  };
}

/** Sync status per artifact and destination, read from nas-sync's receipts (read-only). */
export function createSyncView(paths: ImkPaths, logger: Logger): SyncView {
  let cached: { at: number; counts: { destination: string; status: string; count: number }[] } | undefined;
  const status = async (jobId?: string) => {
    try {
      return await getSyncStatus({ root: paths.root, logger, ...(jobId !== undefined && { jobId }) });
    } catch (error) {
      logger.warn({ err: errorMessage(error) }, 'sync status unavailable');
      return undefined;
    }
  };
  return {
    async enabled() {
      try {
        return (await loadNasSyncConfig(paths.root)).state === 'enabled';
      } catch {
        return false;
      }
    },
    async forJob(jobId) {
      return (await status(jobId))?.rows.map(entryOf) ?? [];
    },
    async counts() {
      if (cached && Date.now() - cached.at < COUNTS_TTL_MS) return cached.counts;
      const rows = (await status())?.rows ?? [];
      const tally = new Map<string, number>();
      for (const row of rows) {
        const key = `${row.backend}\u0000${row.state}`;
        tally.set(key, (tally.get(key) ?? 0) + 1);
      }
      const counts = [...tally].map(([key, count]) => {
        const [destination = '', state = ''] = key.split('\u0000');
        return { destination, status: state, count };
      });
      cached = { at: Date.now(), counts };
      return counts;
    },
    close: () => undefined,
  };
}
