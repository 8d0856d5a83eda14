import type { Command } from 'commander';
import { DOCTOR_GROUPS } from './choices.ts';
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
        `only the checks of these groups (of: ${DOCTOR_GROUPS.join(', ')}), e.g. --group worker sync`,
      )
      .option('--json', 'print the report as JSON'),
  ).action(lazyAction(async () => (await import('../actions/doctor.ts')).doctorCommand));
}
