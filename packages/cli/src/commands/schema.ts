import type { Command } from 'commander';
import { lazyAction } from './lazy-action.ts';
import { withRoot } from './root-option.ts';

export function registerSchema(program: Command): void {
  withRoot(
    program
      .command('schema')
      .argument('<document>', "job, manifest or manifest-legacy (the earlier Python version's manifest.json)")
      .description("print the JSON Schema of job.json or manifest.json (to check a producer's job.json)"),
  ).action(lazyAction(async () => (await import('../actions/schema.ts')).schemaCommand));
}
