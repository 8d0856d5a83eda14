import type { ImkPaths } from '@imk/config';

/** Delivery of one artifact to one destination, as nas-sync's receipts record it. */
export interface SyncEntry {
  path: string;
  destination: string;
  status: 'delivered' | 'pending' | 'failed';
  detail?: string;
  at?: string;
}

export interface SyncView {
  /** Whether nas-sync is configured and enabled (else the dashboard says so instead of listing). */
  enabled(): Promise<boolean>;
  forJob(jobId: string): Promise<SyncEntry[]>;
  counts(): Promise<{ destination: string; status: string; count: number }[]>;
  close(): void;
}

/** Placeholder until nas-sync exposes its receipts: reports sync as not configured. */
export function createSyncView(_paths: ImkPaths): SyncView {
  return {
    enabled: () => Promise.resolve(false),
    forJob: () => Promise.resolve([]),
    counts: () => Promise.resolve([]),
    close: () => undefined,
  };
}
