import { Option, type Command } from 'commander';
import { ImkError } from '@imk/errors';
import { logFormatOption } from '../log-format.ts';
import { SERVICE_NAMES } from '../services.ts';
import { DEFAULT_RUN_SERVICE } from './choices.ts';
import { lazyAction } from './lazy-action.ts';
import { withRoot } from './root-option.ts';
import '../errors.ts';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new ImkError('INVALID_ARGUMENT', `--concurrency must be a whole number ≥ 1, got "${value}"`);
  return n;
}

export function registerRun(program: Command): void {
  withRoot(
    program
      .command('run')
      .argument('[service]', `service to run: ${SERVICE_NAMES.join(', ')}`, DEFAULT_RUN_SERVICE)
      .addOption(logFormatOption())
      .option('--once', 'process until the queues are empty, then exit (non-zero if any job failed)')
      .addOption(
        new Option('--concurrency <n>', 'jobs at once (default: config, else one per core)').argParser(
          positiveInt,
        ),
      )
      .description(
        'run a service in the foreground; SIGTERM or Ctrl-C stops claiming and lets running jobs finish',
      ),
  ).action(lazyAction(async () => (await import('../actions/run.ts')).runCommand));
}
