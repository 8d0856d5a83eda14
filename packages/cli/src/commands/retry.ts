import type { Command } from 'commander';
import { lazyAction } from './lazy-action.ts';
import { withRoot } from './root-option.ts';

export function registerRetry(program: Command): void {
  withRoot(
    program
      .command('retry')
      .argument('<id>', 'id of a failed or cancelled job')
      .description(
        'move a failed or cancelled job back to ready, with a fresh attempt count (its last error or cancel reason is kept)',
      ),
  ).action(lazyAction(async () => (await import('../actions/retry.ts')).retryCommand));
}
