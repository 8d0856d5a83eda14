import type { Command } from 'commander';
import { lazyAction } from './lazy-action.ts';
import { withRoot } from './root-option.ts';

export function registerSchema(program: Command): void {
  withRoot(
    program
      .command('schema')
      .argument('<document>', `job, manifest or manifest-legacy`)
      .description('print the JSON Schema of job.json or manifest.json'),
  ).action(lazyAction(async () => (await import('../actions/schema.ts')).schemaCommand));
}
