import type { Command } from 'commander';
import { lazyAction } from './lazy-action.ts';
import { withExamples } from './examples.ts';
import { withRoot } from './root-option.ts';

const syncActions = () => import('../actions/sync.ts');

export function registerSync(program: Command): void {
  const sync = withExamples(
    withRoot(
      program
        .command('sync')
        .option('--once', 'one pass: deliver what is due, then exit (exit code 2 when a transfer failed)')
        .option('--dry-run', 'print what would be sent where, send nothing')
        .option('--job <id>', 'only this job (with --once or --dry-run)')
        .description('deliver finished outputs to the NAS or bucket as config/nas-sync.yaml routes them'),
    ),
    [
      ['imk sync --dry-run', 'what would be sent where (sends nothing)'],
      ['imk sync --once', 'deliver what is due, then exit'],
      ['imk sync status', 'what is delivered, pending or failed, and why'],
      ['imk sync retry', 'send the failed ones again now'],
    ],
  ).action(lazyAction(async () => (await syncActions()).syncCommand));

  withRoot(
    sync
      .command('status')
      .option('--json', 'print JSON (one object with rows and totals)')
      .option('--job <id>', 'only this job')
      .description('per artifact and destination: delivered, pending, or failed with the reason'),
  ).action(lazyAction(async () => (await syncActions()).syncStatusCommand));

  withRoot(
    sync
      .command('verify')
      .option('--job <id>', 'only this job')
      .option('--json', 'print JSON (totals and every copy checked)')
      .description(
        'check delivered copies against their receipts (size, then sha256); gone or altered ones are recorded, and imk sync retry sends them again (exit code 2 when any)',
      ),
  ).action(lazyAction(async () => (await syncActions()).syncVerifyCommand));

  withRoot(
    sync
      .command('retry')
      .argument('[job]', 'only this job')
      .description(
        'try failed transfers again now (also those that failed for good, e.g. after fixing credentials, and copies imk sync verify found gone or altered)',
      ),
  ).action(lazyAction(async () => (await syncActions()).syncRetryCommand));
}
