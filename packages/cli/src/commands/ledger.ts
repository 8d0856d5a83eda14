import type { Command } from 'commander';
import { rebuildLedger } from '@imk/ledger';
import { contextFrom, print, withRoot } from '../context.ts';

export function registerLedger(program: Command): void {
  const ledger = program.command('ledger').description('the job ledger (state/ledger.sqlite)');
  withRoot(
    ledger
      .command('rebuild')
      .option('--json', 'print JSON')
      .description('rebuild the job ledger from queues/ and outputs/ alone (the folders are the truth)'),
  ).action(async (options: { root?: string; json?: boolean }) => {
    const { paths } = contextFrom(options);
    const result = await rebuildLedger({ root: paths.root, queues: paths.queues, outputs: paths.outputs });
    if (options.json) return print(JSON.stringify(result, null, 2));
    if (result.movedAside !== undefined)
      print(`the ledger was corrupt: kept as ${result.movedAside}, and a new one built`);
    print(
      `rebuilt ${result.file}: ${result.jobs} jobs from ${result.folders} queue folders and ${result.manifests} manifests (${result.artifacts} artifacts)`,
    );
    for (const problem of result.problems) print(`  skipped: ${problem}`);
  });
}
