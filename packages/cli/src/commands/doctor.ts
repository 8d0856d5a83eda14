import type { Command } from 'commander';
import { lazyAction } from './lazy-action.ts';
import { withRoot } from './root-option.ts';

export function registerDoctor(program: Command): void {
  withRoot(
    program
      .command('doctor')
      .description(
        'check that what the services need is installed and usable (tools, secrets, folders, disk); each problem comes with its fix',
      )
      .option(
        '--group <group...>',
        'only the checks of these groups, e.g. --group worker sync (a group no check is in is refused, naming the groups)',
      )
      .option('--json', 'print the report as JSON'),
  ).action(lazyAction(async () => (await import('../actions/doctor.ts')).doctorCommand));
}
