import type { Command } from 'commander';
import { lazyAction } from './lazy-action.ts';
import { withExamples } from './examples.ts';
import { withRoot } from './root-option.ts';

export function registerMigrate(program: Command): void {
  withExamples(
    withRoot(
      program
        .command('migrate')
        .option('--env <file>', "the earlier version's .env (default: the variables of this environment)")
        .option('--dry-run', 'print what would be written, write nothing')
        .option('--json', 'print JSON')
        .option(
          '--overwrite',
          'also replace values you changed since the last imk migrate (the file is copied to state/migrate/ first)',
        )
        .description(
          "convert the earlier Python instrumental-maker's settings (.env, NAS sync variables) into config/*.yaml",
        ),
    ),
    [
      [
        'imk migrate --env ../instrumental-maker/.env --dry-run',
        "print the config/*.yaml it would write from the earlier version's .env",
      ],
      ['imk migrate --env ../instrumental-maker/.env', 'write them'],
    ],
  ).action(lazyAction(async () => (await import('../actions/migrate.ts')).migrateCommand));
}
