import type { Command } from 'commander';
import { lazyAction } from './lazy-action.ts';
import { withRoot } from './root-option.ts';

export function registerCleanup(program: Command): void {
  withRoot(
    program
      .command('cleanup')
      .description(
        'remove archived jobs, caches and temporary files past their retention (age and size limits in config/operations.yaml)',
      )
      .option('--dry-run', 'only list what would be removed')
      .option('--json', 'print the report as JSON'),
  ).action(lazyAction(async () => (await import('../actions/cleanup.ts')).cleanupCommand));
}
