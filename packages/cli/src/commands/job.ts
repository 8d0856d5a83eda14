import type { Command } from 'commander';
import { lazyAction } from './lazy-action.ts';
import { withExamples } from './examples.ts';
import { withRoot } from './root-option.ts';

export function registerJob(program: Command): void {
  withExamples(
    withRoot(
      program
        .command('job')
        .argument('<id>', 'job id')
        .option('--json', 'print JSON')
        .description("one job's history, stage timings, errors and artifacts"),
    ),
    [['imk job yt_dQw4w9WgXcQ_audio', 'its stages, errors and files']],
  ).action(lazyAction(async () => (await import('../actions/job.ts')).jobCommand));
}
