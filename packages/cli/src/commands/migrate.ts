import type { Command } from 'commander';
import { lazyAction } from './lazy-action.ts';
import { withRoot } from './root-option.ts';

export function registerMigrate(program: Command): void {
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
  ).action(lazyAction(async () => (await import('../actions/migrate.ts')).migrateCommand));
}
