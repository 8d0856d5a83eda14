import { rebuildLedger } from '@imk/ledger';
import { contextFrom, print } from '../context.ts';

/** `imk ledger rebuild` */
export async function ledgerRebuildCommand(options: { root?: string; json?: boolean }): Promise<void> {
  const { paths } = contextFrom(options);
  const result = await rebuildLedger({ root: paths.root, queues: paths.queues, outputs: paths.outputs });
  if (options.json) return print(JSON.stringify(result, null, 2));
  if (result.movedAside !== undefined)
    print(`the ledger was corrupt: kept as ${result.movedAside}, and a new one built`);
  print(
    `rebuilt ${result.file}: ${result.jobs} jobs from ${result.folders} queue folders and ${result.manifests} manifests (${result.artifacts} artifacts)`,
  );
  for (const problem of result.problems) print(`  skipped: ${problem}`);
}
