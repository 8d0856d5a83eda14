import type { Command } from 'commander';
import { lazyAction } from './lazy-action.ts';
import { groupRootAction, withRoot } from './root-option.ts';

export function registerLedger(program: Command): void {
  const ledger = withRoot(program.command('ledger')).description('the job ledger (state/ledger.sqlite)');
  withRoot(
    ledger
      .command('rebuild')
      .option('--json', 'print JSON')
      .description('rebuild the job ledger from queues/ and outputs/ alone (the folders are the truth)'),
  ).action(
    groupRootAction(lazyAction(async () => (await import('../actions/ledger.ts')).ledgerRebuildCommand)),
  );
}
