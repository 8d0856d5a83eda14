import type { Command } from 'commander';
import { NAS_SYNC } from '@imk/config';
import { createLogger, type Logger } from '@imk/log';
import {
  assertSyncJobKnown,
  formatStatus,
  formatSummary,
  formatVerify,
  getSyncStatus,
  resetFailedTransfers,
  runNasSyncOnce,
  startNasSync,
  summaryExitCode,
  verifyNasSync,
} from '@imk/nas-sync-service';
import { contextFrom, print } from '../context.ts';
import { shutdownSignal } from '../shutdown.ts';

interface SyncOptions {
  root?: string;
  once?: boolean;
  dryRun?: boolean;
  job?: string;
}

/** Runs `work` until SIGINT/SIGTERM (the one shutdown handler: a second signal exits at once). */
async function untilSignal<T>(logger: Logger, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const shutdown = shutdownSignal(logger);
  try {
    return await work(shutdown.signal);
  } finally {
    shutdown.dispose();
  }
}

/** `imk sync` */
export async function syncCommand(options: SyncOptions): Promise<void> {
  const logger = createLogger(NAS_SYNC);
  // One pass (--once, --dry-run) honours them too (OUTPUTS_DIR, NAS_POLL_INTERVAL_SEC): it says so as well.
  const { paths } = contextFrom(options, logger);
  if (!options.once && !options.dryRun) {
    await untilSignal(logger, (signal) => startNasSync({ root: paths.root, logger, signal }));
    return;
  }
  await assertSyncJobKnown(paths.root, options.job);
  const result = await untilSignal(logger, (signal) =>
    runNasSyncOnce({ root: paths.root, logger, dryRun: options.dryRun, jobId: options.job, signal }),
  );
  if (result.state !== 'ran') {
    print(result.reason);
    return;
  }
  if (result.disabled !== undefined) print(result.disabled);
  print(formatSummary(result.summary));
  const exitCode = summaryExitCode(result.summary);
  if (exitCode !== 0) process.exitCode = exitCode;
}

/** `imk sync status` */
export async function syncStatusCommand(_options: unknown, command: Command): Promise<void> {
  // --root may be given before or after "status"; commander files it under whichever command saw it.
  const options = command.optsWithGlobals<{ root?: string; json?: boolean; job?: string }>();
  const { paths } = contextFrom(options);
  await assertSyncJobKnown(paths.root, options.job);
  const status = await getSyncStatus({
    root: paths.root,
    logger: createLogger(NAS_SYNC),
    jobId: options.job,
  });
  print(options.json ? JSON.stringify(status, null, 2) : formatStatus(status));
}

/** `imk sync verify` */
export async function syncVerifyCommand(_options: unknown, command: Command): Promise<void> {
  const options = command.optsWithGlobals<{ root?: string; json?: boolean; job?: string }>();
  const { paths } = contextFrom(options);
  const logger = createLogger(NAS_SYNC);
  await assertSyncJobKnown(paths.root, options.job);
  const result = await untilSignal(logger, (signal) =>
    verifyNasSync({ root: paths.root, logger, jobId: options.job, signal }),
  );
  if (result.state !== 'ran') {
    print(options.json ? JSON.stringify({ state: result.state, reason: result.reason }) : result.reason);
    return;
  }
  print(options.json ? JSON.stringify(result.report, null, 2) : formatVerify(result.report));
  if (result.report.missing + result.report.changed > 0) process.exitCode = 2;
}

/** `imk sync retry [job]` */
export async function syncRetryCommand(
  job: string | undefined,
  _options: unknown,
  command: Command,
): Promise<void> {
  const { paths } = contextFrom(command.optsWithGlobals<{ root?: string }>());
  await assertSyncJobKnown(paths.root, job);
  const { reset, runnerPid } = resetFailedTransfers({
    root: paths.root,
    jobId: job,
    logger: createLogger(NAS_SYNC),
  });
  print(`${reset} failed transfer${reset === 1 ? '' : 's'} marked for retry${job ? ` (job ${job})` : ''}`);
  if (reset === 0) return;
  if (runnerPid !== undefined) {
    print(`nas-sync (pid ${runnerPid}) picks them up on its next pass`);
    return;
  }
  const result = await runNasSyncOnce({ root: paths.root, logger: createLogger(NAS_SYNC), jobId: job });
  if (result.state === 'ran') {
    print(formatSummary(result.summary));
    const exitCode = summaryExitCode(result.summary);
    if (exitCode !== 0) process.exitCode = exitCode;
  } else print(result.reason);
}
