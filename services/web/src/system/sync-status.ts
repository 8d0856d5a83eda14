import { errorMessage } from '@imk/errors';
import type { Logger } from '@imk/log';

/** Delivery of one artifact to one destination, from nas-sync's receipts and routes. */
export interface SyncEntry {
  /** Artifact path inside outputs/<job_id>/. */
  path: string;
  /** Backend name, or "(unrouted)", or "(skipped)". */
  destination: string;
  /**
   * `skipped`: a route with skip: true took it (sent nowhere on purpose). `released`: a delivered copy
   * `imk sync verify` found gone that can never be sent again (its outputs were removed, or the job was
   * processed again or its route changed): its path was given up, and may now hold another song.
   */
  status: 'delivered' | 'pending' | 'failed' | 'unrouted' | 'replaced' | 'skipped' | 'released';
  /**
   * Remote path when delivered or pending; the error when failed; the skip route when skipped; the remote
   * path and why it cannot come back when released.
   */
  detail?: string;
  /** Set when the route's path held another file: what the conflict policy did (renamed, failed, replaced). */
  conflict?: string;
  at?: string;
}

/**
 * Where the dashboard reads sync status from. The web service imports no other service: the CLI passes one
 * built on nas-sync's status (read-only); without it the dashboard says nothing about sync.
 */
export interface SyncStatusSource {
  /** Whether nas-sync is configured and enabled. */
  enabled(): Promise<boolean>;
  /** One entry per artifact and destination, of one job or of all. */
  entries(jobId?: string): Promise<SyncEntry[]>;
}

export interface SyncView {
  /** Whether nas-sync is configured and enabled (else the dashboard says nothing about sync). */
  enabled(): Promise<boolean>;
  forJob(jobId: string): Promise<SyncEntry[]>;
  counts(): Promise<{ destination: string; status: string; count: number }[]>;
  close(): void;
}

const COUNTS_TTL_MS = 10_000;

/** No sync in this process: nothing to show. */
export const NO_SYNC_STATUS: SyncStatusSource = {
  enabled: () => Promise.resolve(false),
  entries: () => Promise.resolve([]),
};

/** Sync status per artifact and destination, for the routes (counts cached for a few seconds). */
export function createSyncView(source: SyncStatusSource, logger: Logger): SyncView {
  let cached: { at: number; counts: { destination: string; status: string; count: number }[] } | undefined;
  const entries = async (jobId?: string): Promise<SyncEntry[]> => {
    try {
      return await source.entries(jobId);
    } catch (error) {
      logger.warn({ err: errorMessage(error) }, 'sync status unavailable');
      return [];
    }
  };
  return {
    async enabled() {
      try {
        return await source.enabled();
      } catch {
        return false;
      }
    },
    forJob: (jobId) => entries(jobId),
    async counts() {
      if (cached && Date.now() - cached.at < COUNTS_TTL_MS) return cached.counts;
      const tally = new Map<string, number>();
      for (const entry of await entries()) {
        const key = `${entry.destination}\u0000${entry.status}`;
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
