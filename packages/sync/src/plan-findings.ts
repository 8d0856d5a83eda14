import { posix } from 'node:path';
import type { Logger } from '@imk/log';
import { conflictMessage, heldUnder } from './conflicts.ts';
import type { SyncPlan } from './engine.ts';
import type { PlannedTransfer } from './plan.ts';
import type { ReceiptStore, ReceiptWrite } from './receipts.ts';

const UNROUTED_DESTINATION = '(unrouted)';

export interface PlanFindingsDeps {
  logger: Logger;
  receipts: ReceiptStore | undefined;
  unrouted: 'warn' | 'fail';
  writeOf(transfer: PlannedTransfer): ReceiptWrite;
}

/**
 * Says what a plan found that will not be sent as planned: unrouted artifacts, conflicts, routing problems and
 * unreadable manifests. Each finding is logged once per engine; under `unrouted: fail` and `conflict: fail`
 * it is also recorded as a final failure, so `imk sync status` shows it.
 */
export function createPlanFindings(deps: PlanFindingsDeps): {
  record(syncPlan: SyncPlan, dryRun: boolean): void;
} {
  const { logger } = deps;
  const warnedOnce = new Set<string>();
  const warnOnce = (key: string, fields: Record<string, unknown>, message: string): void => {
    if (warnedOnce.has(key)) return;
    warnedOnce.add(key);
    logger.warn(fields, message);
  };

  function recordUnrouted(syncPlan: SyncPlan, dryRun: boolean): void {
    for (const { jobId, artifact, reason } of syncPlan.unrouted) {
      const key = `unrouted:${jobId}:${artifact.path}`;
      const fields = {
        job_id: jobId,
        artifact: artifact.path,
        kind: artifact.kind,
        variant: artifact.variant,
      };
      if (deps.unrouted !== 'fail' || dryRun) {
        warnOnce(key, fields, `${reason}; it is not synced`);
        continue;
      }
      if (warnedOnce.has(key)) continue;
      warnedOnce.add(key);
      logger.error(fields, `${reason} (unrouted: fail)`);
      deps.receipts?.record(
        {
          jobId,
          artifactPath: artifact.path,
          destination: UNROUTED_DESTINATION,
          backend: UNROUTED_DESTINATION,
          remotePath: '',
          sha256: artifact.sha256 ?? '',
          bytes: artifact.bytes ?? 0,
          backendFingerprint: '',
        },
        {
          status: 'failed',
          final: true,
          errorCode: 'UNROUTED',
          errorMessage: reason,
          nextAttemptAt: undefined,
        },
        0,
      );
    }
  }

  function recordConflicts(syncPlan: SyncPlan, dryRun: boolean): void {
    for (const transfer of syncPlan.transfers) {
      const conflict = transfer.conflict;
      if (!conflict || transfer.state === 'delivered') continue;
      const key = `conflict:${transfer.destination}:${transfer.jobId}:${transfer.artifact.path}`;
      const fields = {
        job_id: transfer.jobId,
        artifact: transfer.artifact.path,
        backend: transfer.backend,
        remote_path: conflict.path,
        other_job_id: conflict.holder.jobId,
        other_artifact: conflict.holder.artifactPath,
      };
      if (conflict.resolution === 'renamed')
        warnOnce(
          key,
          { ...fields, delivered_as: transfer.remotePath },
          `conflict: ${conflict.path} holds a different file of job ${conflict.holder.jobId}${heldUnder(conflict.holder, conflict.path)}; delivering as ${transfer.remotePath}${sameNameHint(transfer, conflict.holder)}`,
        );
      else if (conflict.resolution === 'replaced')
        warnOnce(
          key,
          fields,
          `conflict: replacing ${conflict.path}, which held a different file of job ${conflict.holder.jobId} (conflict: replace)`,
        );
      else if (!dryRun && transfer.receipt?.errorCode !== 'CONFLICT') {
        const message = conflictMessage(transfer, conflict.holder, conflict.path);
        logger.error(fields, message);
        deps.receipts?.record(
          deps.writeOf(transfer),
          {
            status: 'failed',
            final: true,
            errorCode: 'CONFLICT',
            errorMessage: message,
            nextAttemptAt: undefined,
          },
          transfer.receipt?.attempts ?? 0,
        );
      }
    }
  }

  return {
    record(syncPlan, dryRun) {
      recordUnrouted(syncPlan, dryRun);
      recordConflicts(syncPlan, dryRun);
      for (const problem of syncPlan.problems)
        warnOnce(
          `problem:${problem.jobId}:${problem.artifact.path}:${problem.routeName}`,
          { job_id: problem.jobId, route: problem.routeName },
          problem.message,
        );
      for (const invalid of syncPlan.invalidManifests)
        warnOnce(
          `invalid:${invalid.jobId}`,
          { job_id: invalid.jobId },
          `${invalid.problem}; the job is not synced`,
        );
      for (const line of syncPlan.notListed) warnOnce(`not-listed:${line}`, {}, line);
      for (const left of syncPlan.leftOut)
        warnOnce(`left-out:${left.jobId}:${left.problem}`, { job_id: left.jobId }, left.problem);
    },
  };
}

/**
 * Two jobs' files of the same name (stems named bass.wav, a legacy video.mp4) meet in one folder when the
 * route's `to` is a bare folder (the earlier project's `${remoteRoots.stems}`): they arrive as bass.wav,
 * bass (2).wav… and the user cannot tell whose is whose. The warning says how to keep them apart.
 */
function sameNameHint(transfer: PlannedTransfer, holder: { jobId: string; artifactPath: string }): string {
  if (holder.jobId === transfer.jobId) return '';
  if (posix.basename(holder.artifactPath) !== posix.basename(transfer.artifact.path)) return '';
  return `. Route "${transfer.routeName}" puts every job's files into one folder under their own names, so files of different songs with the same name are told apart only by a number: end its "to" in {job_id}/ or "{artist} - {title}/" to give each job its own folder`;
}
