import { formatBytes } from '@imk/log';
import type { ConflictPolicy, PassSummary, TransferOutcome, VerifyReport } from '@imk/sync';
import type { StatusRow, SyncStatus } from './status.ts';

function size(bytes: number | undefined): string {
  return bytes === undefined ? '?' : formatBytes(bytes);
}

// Said only when a route has skip: true, or an artifact cannot be sent, so the usual line stays as it was.
// An artifact listed in its manifest but missing on disk (the earlier version's users deleted files from its
// outputs) is `failed` in `imk sync status`: the pass says so too, rather than "0 failed" alone.
const skippedText = (summary: PassSummary): string =>
  (summary.skipped > 0 ? `, ${summary.skipped} skipped by a skip route` : '') +
  (summary.unsendable > 0
    ? `, ${summary.unsendable} cannot be sent (missing or unreadable in outputs/: the log and imk sync status say which)`
    : '') +
  (summary.leftOut > 0
    ? `, ${summary.leftOut} left out of ${summary.leftOut === 1 ? 'its manifest' : 'their manifests'} (no usable path or kind: the log and imk job say which)`
    : '') +
  (summary.notListed > 0
    ? `, ${summary.notListed} output ${summary.notListed === 1 ? 'folder' : 'folders'} not read (a name that is not UTF-8 or holds a control character: the log and imk jobs say which)`
    : '');

/** What a dry run says of one due transfer, after looking at its destination path (dry-run-look.ts). */
function dryRunLine(outcome: TransferOutcome, conflict: ConflictPolicy | undefined): string {
  const { transfer } = outcome;
  const what = `${transfer.jobId}/${transfer.artifact.path} -> ${transfer.backend}:${transfer.remotePath}`;
  const look = outcome.atDestination;
  switch (look?.found) {
    case 'same':
      if (look.at !== undefined)
        return `already there ${transfer.jobId}/${transfer.artifact.path} -> ${transfer.backend}:${look.at} (found with the same content under the name the earlier version's sync program gave it: taken as delivered, not copied)`;
      return `already there ${what} (found with the same content: taken as delivered, not copied)`;
    case 'different': {
      const held = `a different file (${size(look.bytes)}) is there`;
      if (conflict === 'fail') return `would fail ${what}: ${held} (nasSync.conflict: fail)`;
      if (conflict === 'replace')
        return `would replace ${what} (${size(transfer.bytes)}): ${held} (nasSync.conflict: replace)`;
      return `would send ${what} (${size(transfer.bytes)}): ${held}, kept; this one would arrive beside it under a numbered name (nasSync.conflict: rename)`;
    }
    case 'unknown':
      return `would send ${what} (${size(transfer.bytes)}); could not look there: ${look.error}`;
    case 'nothing':
    case undefined:
      return `would send ${what} (${size(transfer.bytes)})`;
  }
}

/** One line per pass, for `imk sync --once`. */
export function formatSummary(summary: PassSummary): string {
  if (summary.dryRun) {
    const lines = summary.outcomes.map((outcome) => dryRunLine(outcome, summary.conflict));
    // Found there with the same content: the pass records them as delivered and copies nothing.
    const found = summary.outcomes.filter((o) => o.atDestination?.found === 'same').length;
    const foundText =
      found > 0 ? ` (${found} found there with the same content, would not be copied again)` : '';
    // Under conflict: fail, a different file at the path fails the transfer for good: counted as failed.
    const wouldFail =
      summary.conflict === 'fail'
        ? summary.outcomes.filter((o) => o.atDestination?.found === 'different').length
        : 0;
    lines.push(
      `dry run: ${summary.outcomes.length - found - wouldFail} to send, ${summary.alreadyDelivered + found} already delivered${foundText}, ${summary.waiting} waiting to retry, ${summary.failedFinal + wouldFail} failed, ${summary.unrouted} unrouted${skippedText(summary)}`,
    );
    return lines.join('\n');
  }
  const failures = summary.outcomes
    .filter((outcome) => outcome.status === 'failed')
    .map(
      (o) =>
        `failed ${o.transfer.jobId}/${o.transfer.artifact.path} -> ${o.transfer.backend}: [${o.errorCode ?? ''}] ${o.error ?? ''}`,
    );
  // Each failure counted once: those of this pass that will be tried again after their backoff, and those
  // failed for good (in this pass, found at planning time, or by an earlier pass and not yet retried).
  // summary.failedFinal already holds this pass's final failures, which summary.failed holds too.
  const retried = summary.outcomes.filter((o) => o.status === 'failed' && !o.final).length;
  const forGood = summary.failedFinal;
  // Found at the destination with the same content (the earlier version's sync program sent it, or receipts
  // were lost): recorded as delivered, nothing copied, so said as already delivered, not as sent now.
  const found = summary.outcomes.filter((o) => o.status === 'delivered' && o.alreadyThere).length;
  const foundText = found > 0 ? ` (${found} found there with the same content, not copied again)` : '';
  return [
    ...failures,
    `nas-sync: ${summary.delivered - found} delivered, ${summary.alreadyDelivered + found} already delivered${foundText}, ${forGood + retried} failed (${forGood} for good, ${retried} will be retried), ${summary.waiting} waiting to retry, ${summary.unrouted} unrouted${skippedText(summary)} (${summary.jobs} jobs)`,
  ].join('\n');
}

/**
 * The exit code of a pass run from the command line: 2 while a transfer failed, in this pass or for good
 * (a final failure found at planning time, such as a `conflict: fail`, or one recorded by an earlier pass and
 * not yet retried), or while an artifact matches no route under `unrouted: fail`; else 0. A dry run copies
 * nothing, so it fails nothing.
 */
export function summaryExitCode(summary: PassSummary): 0 | 2 {
  if (summary.dryRun) return 0;
  return summary.failed + summary.failedFinal + summary.unroutedFailed > 0 ? 2 : 0;
}

/** One line about a conflict, for `imk sync status`, the log and the dashboard. */
export function describeConflict(row: StatusRow): string | undefined {
  const c = row.conflict;
  if (!c) return undefined;
  const by = c.altered_copy
    ? "this artifact's own copy, altered since it was delivered (imk sync verify found it changed)"
    : c.earlier_version
      ? 'an earlier version of this artifact'
      : (c.held_by ??
        `a file no receipt of this host wrote${c.found_as ? ` (as ${c.found_as}: names that differ only by case or accent encoding are one file on most shares)` : ''}`);
  switch (c.resolution) {
    case 'renamed':
      return `conflict: ${c.path} held ${by}; delivered as ${row.remote_path}`;
    case 'failed':
      return `conflict: ${c.path} holds ${by}; not sent (conflict: fail)`;
    case 'replaced':
      return `conflict: replaced by ${by} (conflict: replace)`;
  }
}

/** The table of `imk sync status`. */
export function formatStatus(status: SyncStatus): string {
  if (!status.configured) return status.reason ?? 'nas-sync is not configured';
  const lines = status.rows.map((row) => {
    const where = row.remote_path ? `${row.backend}:${row.remote_path}` : row.backend;
    const arrow = row.state === 'skipped' ? '' : ` -> ${where}`;
    let detail = '';
    if (row.state === 'delivered' || row.state === 'replaced')
      detail = row.delivered_at ? `at ${row.delivered_at}` : '';
    else if (row.skipped_by) detail = `skipped by route ${row.skipped_by}`;
    else if (row.error)
      detail = `[${row.error_code ?? ''}] ${row.error}${row.retry_at ? ` (retry at ${row.retry_at})` : ''}`;
    const conflict = row.state === 'failed' ? undefined : describeConflict(row);
    if (conflict) detail = detail ? `${detail}; ${conflict}` : conflict;
    return `${row.state.padEnd(9)} ${row.job_id}/${row.artifact}${arrow}${detail ? `  ${detail}` : ''}`;
  });
  for (const copy of status.released)
    lines.push(
      `${'released'.padEnd(9)} ${copy.job_id}/${copy.artifact} -> ${copy.backend}:${copy.remote_path}  ${copy.reason}`,
    );
  const t = status.totals;
  const conflicts = status.rows.filter((row) => row.conflict).length;
  lines.push(
    `${t.delivered} delivered, ${t.pending} pending, ${t.failed} failed, ${t.unrouted} unrouted` +
      (t.replaced ? `, ${t.replaced} replaced` : '') +
      (t.skipped ? `, ${t.skipped} skipped` : '') +
      (status.released.length ? `, ${status.released.length} released` : '') +
      (conflicts ? `, ${conflicts} conflict${conflicts === 1 ? '' : 's'}` : '') +
      (status.runner_pid ? ` (nas-sync running, pid ${status.runner_pid})` : ' (nas-sync not running)'),
  );
  return lines.join('\n');
}

/** The report of `imk sync verify`: one line per copy that is not as delivered, then the totals. */
export function formatVerify(report: VerifyReport): string {
  const lines = report.copies
    .filter((copy) => copy.state !== 'ok')
    .map(
      (copy) =>
        `${copy.state.padEnd(9)} ${copy.jobId}/${copy.artifactPath} -> ${copy.backend}:${copy.remotePath}${copy.detail ? `  ${copy.detail}` : ''}` +
        (copy.earlierVersion
          ? '  (an earlier version of this artifact: it cannot be sent again; its receipt was dropped)'
          : ''),
    );
  const resendable = report.copies.filter(
    (copy) => (copy.state === 'missing' || copy.state === 'changed') && !copy.earlierVersion,
  ).length;
  lines.push(
    `verify: ${report.checked} checked, ${report.ok} as delivered, ${report.missing} missing, ${report.changed} changed, ${report.unchecked} not checked` +
      (resendable > 0 ? ' (imk sync retry sends them again)' : ''),
  );
  return lines.join('\n');
}
