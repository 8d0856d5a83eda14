import type { Command } from 'commander';
import { lazyAction } from './lazy-action.ts';
import { withExamples } from './examples.ts';
import { withRoot } from './root-option.ts';

export function registerRetry(program: Command): void {
  withExamples(
    withRoot(
      program
        .command('retry')
        .argument('<id>', 'id of a failed or cancelled job')
        .description(
          'move a failed or cancelled job back to ready, with a fresh attempt count (its last error or cancel reason is kept)',
        ),
    ),
    [
      ['imk jobs --status failed', 'find the failed jobs'],
      ['imk job yt_dQw4w9WgXcQ_audio', 'see why one failed'],
      ['imk retry yt_dQw4w9WgXcQ_audio', 'run it again, once the cause is fixed'],
    ],
  ).action(lazyAction(async () => (await import('../actions/retry.ts')).retryCommand));
}
