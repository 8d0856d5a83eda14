import { resolvePaths } from '@imk/config';
import type { Logger } from '@imk/log';
import {
  ReceiptStore,
  createSyncEngine,
  destinationKey,
  isAlteredCopy,
  type DestinationPlaces,
  type PathHolder,
  type PlannedTransfer,
  type Receipt,
} from '@imk/sync';
import { loadNasSyncConfig } from './config.ts';
import { openWritableReceipts } from './receipts.ts';

/** One artifact at one destination, as `imk sync status` shows it. */
export interface StatusRow {
  job_id: string;
  artifact: string;
  kind: string;
  variant: string;
  /** Backend name ("(unrouted)" for artifacts no route takes, "(skipped)" for those a skip route takes). */
  backend: string;
  remote_path: string;
  /**
   * `replaced`: delivered, then overwritten by another artifact's copy (conflict: replace). `skipped`: a route
   * with skip: true took it, so it is sent nowhere on purpose (`skipped_by` says which).
   */
  state: 'delivered' | 'pending' | 'failed' | 'unrouted' | 'replaced' | 'skipped';
  bytes: number | undefined;
  attempts: number;
  error_code?: string;
  error?: string;
  /** When a pending transfer is tried again (ISO 8601), if it is waiting for its backoff. */
  retry_at?: string;
  delivered_at?: string;
  verified_by?: string;
  /** Set when the route's path held a different file: how the conflict policy settled it. */
  conflict?: RowConflict;
  /** For a skipped artifact: the skip route that took it, `routes.2 (kind: audio, variant: no_drums)`. */
  skipped_by?: string;
}

export interface RowConflict {
  resolution: 'renamed' | 'failed' | 'replaced';
  /** The path the route gave, which another file held. */
  path: string;
  /** Who held it (`<job id>/<artifact>`), or undefined for a file no receipt of this host wrote. */
  held_by?: string;
  /** Set when it was held by an earlier delivered version of this same artifact (the job was processed again). */
  earlier_version?: true;
  /** Set when it was held by this artifact's own copy, which `imk sync verify` found altered (the user's file now). */
  altered_copy?: true;
  /**
   * For a file no receipt wrote found under a name one with the route's (differing only by case or accent
   * encoding, NFC/NFD): its path as the destination spells it.
   */
  found_as?: string;
}

/**
 * A delivered copy `imk sync verify` found gone that can never be sent again (its job's outputs were removed,
 * or list another version or route now): its path is free for other artifacts.
 */
export interface ReleasedCopy {
  job_id: string;
  artifact: string;
  backend: string;
  remote_path: string;
  /** Why it cannot come back. */
  reason: string;
}

export interface SyncStatus {
  configured: boolean;
  reason?: string;
  /** PID of the nas-sync process running on this state folder, if any. */
  runner_pid?: number;
  rows: StatusRow[];
  totals: Record<StatusRow['state'], number>;
  /** Copies found gone whose source is gone too: listed so the user knows the path was given up. */
  released: ReleasedCopy[];
}

/** Delivered copies by destinationKey (with the plan's places): who holds a path. */
interface Holders {
  held: ReadonlyMap<string, Receipt>;
  places: DestinationPlaces;
}

function conflictOf(transfer: PlannedTransfer, receipt: Receipt | undefined, holders: Holders) {
  const planned = transfer.destination.slice(transfer.backend.length + 1);
  const holder = (path: string, resolution: RowConflict['resolution']): RowConflict => {
    const held = holders.held.get(destinationKey(transfer.backend, path, holders.places));
    return { resolution, path, ...(held && heldBy(held)) };
  };
  const heldBy = (by: PathHolder): Pick<RowConflict, 'held_by' | 'earlier_version' | 'altered_copy'> => {
    if (!by.jobId) return {};
    if (by.jobId === transfer.jobId && by.artifactPath === transfer.artifact.path)
      return isAlteredCopy(by) ? { altered_copy: true } : { earlier_version: true };
    return { held_by: `${by.jobId}/${by.artifactPath}` };
  };
  if (receipt?.status === 'delivered' && receipt.replacedBy !== undefined)
    return {
      resolution: 'replaced' as const,
      path: receipt.remotePath,
      held_by: receipt.replacedBy.replace(':', '/'),
    };
  if (receipt?.status === 'failed' && receipt.errorCode === 'CONFLICT') return holder(planned, 'failed');
  if (transfer.conflict) {
    const { holder: by, path, resolution } = transfer.conflict;
    return { resolution, path, ...heldBy(by) };
  }
  // Found where the earlier version's sync program had put it, under its own name (plan.ts earlierPath).
  if (receipt?.status === 'delivered' && receipt.remotePath === transfer.earlierPath) return undefined;
  if (receipt?.status === 'delivered' && receipt.remotePath !== planned)
    return { ...holder(planned, 'renamed'), ...(receipt.foundAs && { found_as: receipt.foundAs }) };
  return undefined;
}

function rowOf(transfer: PlannedTransfer, holders: Holders): StatusRow {
  const receipt = transfer.receipt?.sha256 === transfer.sha256 ? transfer.receipt : undefined;
  let state: StatusRow['state'] =
    transfer.state === 'delivered' ? 'delivered' : transfer.state === 'failed' ? 'failed' : 'pending';
  if (state === 'delivered' && receipt?.replacedBy !== undefined) state = 'replaced';
  const row: StatusRow = {
    job_id: transfer.jobId,
    artifact: transfer.artifact.path,
    kind: transfer.artifact.kind,
    variant: transfer.artifact.variant,
    backend: transfer.backend,
    remote_path: receipt?.status === 'delivered' ? receipt.remotePath : transfer.remotePath,
    state,
    bytes: transfer.bytes,
    attempts: receipt?.attempts ?? 0,
  };
  if (receipt?.status === 'failed') {
    row.error_code = receipt.errorCode;
    row.error = receipt.errorMessage;
    if (transfer.state === 'waiting' && receipt.nextAttemptAt)
      row.retry_at = new Date(receipt.nextAttemptAt).toISOString();
  }
  if (receipt?.status === 'delivered') {
    row.delivered_at = receipt.deliveredAt;
    row.verified_by = receipt.verifiedBy;
  }
  const conflict = conflictOf(transfer, receipt, holders);
  if (conflict) row.conflict = conflict;
  return row;
}

/** What was delivered where, what is pending, what failed and why: from the manifests, routes and receipts. */
export async function getSyncStatus(options: {
  root: string;
  logger: Logger;
  jobId?: string;
  env?: NodeJS.ProcessEnv;
}): Promise<SyncStatus> {
  const totals = { delivered: 0, pending: 0, failed: 0, unrouted: 0, replaced: 0, skipped: 0 };
  const loaded = await loadNasSyncConfig(options.root, options.env);
  if (loaded.state !== 'enabled')
    return { configured: false, reason: loaded.reason, rows: [], totals, released: [] };
  const receipts = ReceiptStore.open({ file: resolvePaths(options.root).receipts, readonly: true });
  try {
    const engine = createSyncEngine({
      outputsDir: resolvePaths(options.root).outputs,
      receipts,
      routes: loaded.config.routes,
      remoteRoots: loaded.config.remoteRoots,
      backends: loaded.config.backends,
      conflict: loaded.config.conflict,
      logger: options.logger,
      env: options.env,
    });
    // Finding where a folder is may start a backend's helper (rclone): ended once the plan is made.
    const plan = await engine.plan({ jobId: options.jobId, places: true }).finally(() => engine.close());
    // Who holds each path: the one rule (conflicts.ts holdsPath) the plan and the transfers use too.
    const holders = { held: plan.holders, places: plan.places };
    const rows = plan.transfers.map((transfer) => rowOf(transfer, holders));
    const failedUnrouted = new Map(
      [...(receipts?.all().values() ?? [])]
        .filter((receipt) => receipt.destination === '(unrouted)')
        .map((receipt) => [`${receipt.jobId}\u0000${receipt.artifactPath}`, receipt]),
    );
    for (const { jobId, artifact, reason } of plan.unrouted) {
      const failed = failedUnrouted.get(`${jobId}\u0000${artifact.path}`);
      rows.push({
        job_id: jobId,
        artifact: artifact.path,
        kind: artifact.kind,
        variant: artifact.variant,
        backend: '(unrouted)',
        remote_path: '',
        state: failed ? 'failed' : 'unrouted',
        bytes: artifact.bytes,
        attempts: 0,
        error_code: 'UNROUTED',
        error: reason,
      });
    }
    for (const { jobId, artifact, routeName, match } of plan.skipped)
      rows.push({
        job_id: jobId,
        artifact: artifact.path,
        kind: artifact.kind,
        variant: artifact.variant,
        backend: '(skipped)',
        remote_path: '',
        state: 'skipped',
        bytes: artifact.bytes,
        attempts: 0,
        skipped_by: `${routeName} (${match})`,
      });
    for (const problem of plan.problems)
      rows.push({
        job_id: problem.jobId,
        artifact: problem.artifact.path,
        kind: problem.artifact.kind,
        variant: problem.artifact.variant,
        backend: problem.routeName,
        remote_path: '',
        state: 'failed',
        bytes: problem.artifact.bytes,
        attempts: 0,
        error_code: 'ROUTE_FAILED',
        error: problem.message,
      });
    for (const row of rows) totals[row.state]++;
    const jobs = new Set(plan.transfers.map((transfer) => transfer.jobId));
    const released = plan.released
      .filter((receipt) => options.jobId === undefined || receipt.jobId === options.jobId)
      .map((receipt): ReleasedCopy => ({
        job_id: receipt.jobId,
        artifact: receipt.artifactPath,
        backend: receipt.backend,
        remote_path: receipt.remotePath,
        reason: jobs.has(receipt.jobId)
          ? 'found gone by imk sync verify, and the job was processed again or its route changed since: it cannot be sent again, so its path is free for other artifacts'
          : "found gone by imk sync verify, and the job's outputs are gone (retention or imk cleanup): it cannot be sent again, so its path is free for other artifacts",
      }));
    const runner = receipts?.runnerPid();
    return {
      configured: true,
      ...(runner === undefined ? {} : { runner_pid: runner }),
      rows,
      totals,
      released,
    };
  } finally {
    receipts?.close();
  }
}

/** Makes failed transfers (all, or one job's) due again. Returns how many; the caller runs a pass if no service does. */
export function resetFailedTransfers(options: { root: string; jobId?: string; logger?: Logger }): {
  reset: number;
  runnerPid: number | undefined;
} {
  const receipts = ReceiptStore.open({ file: resolvePaths(options.root).receipts, readonly: true });
  if (!receipts) return { reset: 0, runnerPid: undefined };
  receipts.close();
  const writable = openWritableReceipts(options.root, options.logger);
  try {
    return { reset: writable?.resetFailures(options.jobId) ?? 0, runnerPid: writable?.runnerPid() };
  } finally {
    writable?.close();
  }
}
