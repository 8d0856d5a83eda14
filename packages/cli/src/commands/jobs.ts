import type { Command } from 'commander';
import { LEDGER_STATES } from './choices.ts';
import { lazyAction } from './lazy-action.ts';
import { withRoot } from './root-option.ts';

export function registerJobs(program: Command): void {
  withRoot(
    program
      .command('jobs')
      .option('--status <state>', `only jobs in this state: ${LEDGER_STATES.join(', ')}`)
      .option('--json', 'print JSON')
      .option('--limit <n>', 'at most this many, newest first', '200')
      .description('list jobs from the job ledger (newest first)'),
  ).action(lazyAction(async () => (await import('../actions/jobs.ts')).jobsCommand));
}
