import type { Command } from 'commander';
import { lazyAction } from './lazy-action.ts';
import { groupRootAction, withRoot } from './root-option.ts';

export function registerQueue(program: Command): void {
  const queue = withRoot(program.command('queue')).description('look at the job queues');
  withRoot(
    queue
      .command('ls')
      .description(
        'per queue: ready, claimed, succeeded, failed, rejected, cancelled and in-progress (.tmp) jobs, and the age of the oldest ready job',
      )
      .option('--json', 'print JSON instead of a table'),
  ).action(groupRootAction(lazyAction(async () => (await import('../actions/queue.ts')).queueLsCommand)));
}
