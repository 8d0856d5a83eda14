import type { Command } from 'commander';
import { createLogger, type Logger } from '@imk/log';
import {
  formatStatus,
  formatSummary,
  formatVerify,
  getSyncStatus,
  resetFailedTransfers,
  runNasSyncOnce,
  startNasSync,
  verifyNasSync,
} from '@imk/nas-sync-service';
import { contextFrom, print, withRoot } from '../context.ts';
import { shutdownSignal } from '../shutdown.ts';
import { warnLegacyEnv } from '@imk/config';

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

export function registerSync(program: Command): void {
  const sync = withRoot(
    program
      .command('sync')
      .option('--once', 'one pass: deliver what is due, then exit (exit code 2 when a transfer failed)')
      .option('--dry-run', 'print what would be sent where, send nothing')
      .option('--job <id>', 'only this job (with --once or --dry-run)')
      .description('deliver finished outputs to the NAS or bucket as config/nas-sync.yaml routes them'),
  ).action(async (options: SyncOptions) => {
    const { paths } = contextFrom(options);
    const logger = createLogger('nas-sync');
    if (!options.once && !options.dryRun) {
      warnLegacyEnv(logger);
      await untilSignal(logger, (signal) => startNasSync({ root: paths.root, logger, signal }));
      return;
    }
    const result = await untilSignal(logger, (signal) =>
      runNasSyncOnce({ root: paths.root, logger, dryRun: options.dryRun, jobId: options.job, signal }),
    );
    if (result.state !== 'ran') {
      print(result.reason);
      return;
    }
    print(formatSummary(result.summary));
    if (!result.summary.dryRun && result.summary.failed > 0) process.exitCode = 2;
  });

  withRoot(
    sync
      .command('status')
      .option('--json', 'print JSON (one object with rows and totals)')
      .option('--job <id>', 'only this job')
      .description('per artifact and destination: delivered, pending, or failed with the reason'),
  ).action(async (_options: unknown, command: Command) => {
    // --root may be given before or after "status"; commander files it under whichever command saw it.
    const options = command.optsWithGlobals<{ root?: string; json?: boolean; job?: string }>();
    const { paths } = contextFrom(options);
    const status = await getSyncStatus({
      root: paths.root,
      logger: createLogger('nas-sync'),
      jobId: options.job,
    });
    print(options.json ? JSON.stringify(status, null, 2) : formatStatus(status));
  });

  withRoot(
    sync
      .command('verify')
      .option('--job <id>', 'only this job')
      .option('--json', 'print JSON (totals and every copy checked)')
      .description(
        'check delivered copies against their receipts (size, then sha256); gone or altered ones are recorded, and imk sync retry sends them again (exit code 2 when any)',
      ),
  ).action(async (_options: unknown, command: Command) => {
    const options = command.optsWithGlobals<{ root?: string; json?: boolean; job?: string }>();
    const { paths } = contextFrom(options);
    const logger = createLogger('nas-sync');
    const result = await untilSignal(logger, (signal) =>
      verifyNasSync({ root: paths.root, logger, jobId: options.job, signal }),
    );
    if (result.state !== 'ran') {
      print(options.json ? JSON.stringify({ state: result.state, reason: result.reason }) : result.reason);
      return;
    }
    print(options.json ? JSON.stringify(result.report, null, 2) : formatVerify(result.report));
    if (result.report.missing + result.report.changed > 0) process.exitCode = 2;
  });

  withRoot(
    sync
      .command('retry')
      .argument('[job]', 'only this job')
      .description(
        'try failed transfers again now (also those that failed for good, e.g. after fixing credentials, and copies imk sync verify found gone or altered)',
      ),
  ).action(async (job: string | undefined, _options: unknown, command: Command) => {
    const { paths } = contextFrom(command.optsWithGlobals<{ root?: string }>());
    const { reset, runnerPid } = resetFailedTransfers({
      root: paths.root,
      jobId: job,
      logger: createLogger('nas-sync'),
    });
    print(`${reset} failed transfer${reset === 1 ? '' : 's'} marked for retry${job ? ` (job ${job})` : ''}`);
    if (reset === 0) return;
    if (runnerPid !== undefined) {
      print(`nas-sync (pid ${runnerPid}) picks them up on its next pass`);
      return;
    }
    const result = await runNasSyncOnce({ root: paths.root, logger: createLogger('nas-sync'), jobId: job });
    if (result.state === 'ran') {
      print(formatSummary(result.summary));
      if (result.summary.failed > 0) process.exitCode = 2;
    } else print(result.reason);
  });
}
