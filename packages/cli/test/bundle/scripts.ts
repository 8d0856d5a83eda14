import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IMK_BUNDLE_ENV } from '../imk-bin.ts';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * TypeScript scripts that tests start as processes of their own (a consumer, a crashing producer, a
 * second ledger writer), by their name in the test bundle (build.ts builds them with `imk`, once per run).
 * Started through tsx, each such process spends ~1.1 s CPU in tsx's loader; from the bundle ~0.3 s.
 * Not here: examples/custom-retriever, whose test runs it as its README says (`node --import tsx`).
 */
export const TEST_SCRIPTS: Readonly<Record<string, string>> = {
  'fsqueue-consumer': 'packages/fsqueue/test/fixtures/consumer.ts',
  'fsqueue-producer': 'packages/fsqueue/test/fixtures/producer.ts',
  'ledger-write-progress': 'packages/ledger/test/write-progress.ts',
  'notify-drain-child': 'packages/notify/test/drain-child.ts',
  'notify-refresh-child': 'packages/notify/test/refresh-child.ts',
  'nas-sync-run-once': 'services/nas-sync/test/fixtures/run-once.ts',
  'youtube-retriever-run-subscriptions': 'services/youtube-retriever/test/fixtures/run-subscriptions.ts',
  'separation-separate-child': 'packages/separation/bench/separate-child.ts',
  // An engine.module that worker processes load: the bundled imk imports it, sharing its chunks.
  'counting-engine': 'services/instrumental-maker/test/fixtures/counting-engine.ts',
};

/**
 * Node's arguments that run `script` (an absolute path listed in TEST_SCRIPTS): its bundled copy when the
 * test run built the bundle (global-setup.ts), else the TypeScript through tsx (`--import tsx script`).
 */
export function nodeScript(script: string): string[] {
  const bundled = bundledScript(script);
  return bundled === undefined ? ['--import', 'tsx', script] : [bundled];
}

/** The bundled copy of `script` (listed in TEST_SCRIPTS), or undefined when the run built no bundle. */
export function bundledScript(script: string): string | undefined {
  const path = relative(REPO, script);
  const name = Object.keys(TEST_SCRIPTS).find((key) => TEST_SCRIPTS[key] === path);
  if (name === undefined)
    throw new Error(`${path} is not in TEST_SCRIPTS (packages/cli/test/bundle/scripts.ts): add it there`);
  const bin = process.env[IMK_BUNDLE_ENV];
  return bin === undefined || bin === 'off' ? undefined : join(dirname(bin), `${name}.mjs`);
}
