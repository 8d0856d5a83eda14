import type { Command } from 'commander';
import { lazyAction } from './lazy-action.ts';
import { withRoot } from './root-option.ts';

export function registerJob(program: Command): void {
  withRoot(
    program
      .command('job')
      .argument('<id>', 'job id')
      .option('--json', 'print JSON')
      .description("one job's history, stage timings, errors and artifacts"),
  ).action(lazyAction(async () => (await import('../actions/job.ts')).jobCommand));
}
