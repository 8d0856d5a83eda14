import type { Command } from 'commander';
import { LEDGER_STATES } from './choices.ts';
import { lazyAction } from './lazy-action.ts';
import { withExamples } from './examples.ts';
import { withRoot } from './root-option.ts';

export function registerJobs(program: Command): void {
  withExamples(
    withRoot(
      program
        .command('jobs')
        .option('--status <state>', `only jobs in this state: ${LEDGER_STATES.join(', ')}`)
        .option('--json', 'print JSON')
        .option('--limit <n>', 'at most this many, newest first', '200')
        .description('list jobs from the job ledger (newest first)'),
    ),
    [
      ['imk jobs --status failed', 'the failed jobs'],
      ['imk jobs --limit 20 --json', 'the 20 newest, as JSON'],
    ],
  ).action(lazyAction(async () => (await import('../actions/jobs.ts')).jobsCommand));
}
