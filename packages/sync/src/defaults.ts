import type { ConflictPolicy } from './conflicts.ts';

/**
 * What a sync engine does when its options leave a setting out, and the defaults of the same settings in
 * config/nas-sync.yaml (its schema's `.default()` takes them from here): written once.
 */
export const SYNC_DEFAULTS = {
  /** Transfers at once, over all backends. */
  concurrency: 4,
  /** A destination path holding a different file: deliver as "Title (2).m4a". */
  conflict: 'rename' as ConflictPolicy,
  /** An artifact no route matches: warn once and skip it. */
  unrouted: 'warn' as 'warn' | 'fail',
  /**
   * Seconds a destination on this host's file system (a mounted share) may go without answering (a folder's
   * `stat`, a copy making no progress) before it counts as unreachable for the pass.
   */
  shareTimeoutSec: 10,
};

/** The range config/nas-sync.yaml accepts for shareTimeoutSec (seconds). */
export const SHARE_TIMEOUT_RANGE_SEC = { min: 1, max: 600 } as const;
