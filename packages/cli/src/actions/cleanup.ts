import { errorMessage } from '@imk/errors';
import { createLogger, formatBytes } from '@imk/log';
import { PROBLEM_FIX, describeReason, hostClockNote, loadOperationsConfig, runCleanup } from '@imk/ops';
import { stemCacheDirSource } from '../compose/stem-cache.ts';
import { contextFrom, print } from '../context.ts';

/** `imk cleanup` */
export async function cleanupCommand(options: {
  root?: string;
  dryRun?: boolean;
  json?: boolean;
}): Promise<void> {
  const { paths } = contextFrom(options);
  // The report goes to stdout and problems to stderr, below; the per-entry log lines (removals, problems)
  // are for services, so keep them quiet here.
  const logger = createLogger('imk-cleanup', { level: 'error' });
  // A stem cache moved by the worker's stemCache.dir is pruned under the same limits as state/cache/.
  const stemCacheDir = await stemCacheDirSource(paths.root)();
  const { retention } = await loadOperationsConfig(paths.root);
  const report = await runCleanup({
    root: paths.root,
    logger,
    retention,
    dryRun: options.dryRun === true,
    extraCacheDirs: [stemCacheDir],
  });
  // Ages measured on this host's clock where the file system's could not be read: said, not a failure.
  if (report.plan.hostClock.length > 0) process.stderr.write(`imk ${hostClockNote(report.plan)}\n`);
  // What interrupted rsync transfers left in the destination folders on this host (partials, temp names;
  // never a delivered file), under the same age as the other leftovers: nas-sync's pass sweeps only the
  // folders it writes to again, and a pass that was killed sweeps nothing.
  // Only nas-sync's config and leftovers modules are loaded, not its service (as for the stem cache above).
  // A nas-sync config that does not load (nas-sync itself says so at its start) keeps only this sweep from
  // running: the rest of the cleanup is done, and stderr says what was not looked at and why.
  const { sweepSyncLeftovers } = await import('@imk/nas-sync-service/leftovers');
  const rsync = await sweepSyncLeftovers({
    root: paths.root,
    logger,
    olderThanMs: retention.temp.maxAgeHours * 3_600_000,
    dryRun: options.dryRun === true,
  }).catch((error: unknown) => {
    process.stderr.write(
      `imk cleanup: the leftovers of interrupted rsync transfers in nas-sync's destinations were not looked for: ${errorMessage(error)}\n`,
    );
    return { removed: [], problems: [] };
  });
  const rsyncEntries = rsync.removed.map((entry) => ({
    target: 'temp',
    path: entry.path,
    bytes: entry.bytes,
    ageMs: entry.ageMs,
    reason: 'age' as const,
    backend: entry.backend,
  }));
  const rsyncProblems = rsync.problems.map((problem) => ({ target: 'temp', ...problem }));
  report.problems.push(...rsyncProblems);
  report.freedBytes += rsyncEntries.reduce((sum, entry) => sum + entry.bytes, 0);
  if (report.dryRun) report.plan.remove.push(...rsyncEntries);
  else report.removed.push(...rsyncEntries);
  // Something kept because it could not be read or removed: said on stderr, and the exit code is 1.
  if (report.problems.length > 0) process.exitCode = 1;
  for (const problem of report.problems)
    process.stderr.write(`imk cleanup: kept ${problem.target} ${problem.path}: ${problem.message}\n`);
  if (report.problems.length > 0) process.stderr.write(`imk cleanup: ${PROBLEM_FIX}\n`);
  // Kept on purpose (a user's file in a replaced output folder): said, not a failure.
  for (const entry of report.plan.held)
    process.stderr.write(`imk cleanup: kept ${entry.target} ${entry.path}: ${entry.reason}\n`);
  if (options.json) {
    print(JSON.stringify(report, null, 2));
    return;
  }
  const entries = report.dryRun ? report.plan.remove : report.removed;
  const verb = report.dryRun ? 'would remove' : 'removed';
  for (const entry of entries) {
    const backend = (entry as { backend?: string }).backend;
    const what = backend === undefined ? '' : `an interrupted rsync's leftover for backend "${backend}", `;
    print(
      `${verb} ${entry.target.padEnd(8)} ${formatBytes(entry.bytes).padStart(9)}  ${entry.path}  (${what}${describeReason(entry)})`,
    );
  }
  const totals = new Map<string, { entries: number; bytes: number; kept: number }>();
  for (const t of report.plan.targets) {
    const sum = totals.get(t.name) ?? { entries: 0, bytes: 0, kept: 0 };
    totals.set(t.name, {
      entries: sum.entries + t.entries,
      bytes: sum.bytes + t.bytes,
      kept: sum.kept + t.keptBytes,
    });
  }
  for (const [name, t] of totals)
    print(
      `${name.padEnd(8)} ${String(t.entries).padStart(6)} entries, ${formatBytes(t.bytes)} in all, ${formatBytes(t.kept)} kept`,
    );
  const owners = report.jobIdOwners.removed.length;
  if (owners > 0)
    print(
      `${verb} ${owners} job id owner file(s) in queues/.imk-job-ids/ (ids no queue holds any more; ${report.jobIdOwners.kept} kept)`,
    );
  print(
    `${report.dryRun ? 'dry run: would free' : 'freed'} ${formatBytes(report.freedBytes)} in ${entries.length} entries`,
  );
}
