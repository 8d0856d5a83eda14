// What the sync engine's tests share: a root with outputs/ and a local NAS folder, its receipts, the routes
// and the engine's options.
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { ReceiptStore, type SyncEngineOptions } from '../src/index.ts';
import { tempDir, testLogger } from './helpers.ts';

export let dir: { path: string; remove(): Promise<void> };
export let outputs: string;
export let nas: string;
export let receipts: ReceiptStore;

export const ROUTES = [
  { match: { kind: 'audio' }, to: '${remoteRoots.audio}/{artist}/{title} ({variant}).{ext}', backend: 'nas' },
  { match: { kind: 'stems' }, to: '${remoteRoots.stems}/{job_id}/', backend: 'nas' },
];

export function engineOptions(over: Partial<SyncEngineOptions> = {}): SyncEngineOptions {
  return {
    outputsDir: outputs,
    receipts,
    remoteRoots: { audio: join(nas, 'Music'), stems: join(nas, 'Stems') },
    backends: { nas: { type: 'local', fsync: false } },
    routes: ROUTES.map((r) => ({
      name: undefined,
      ...r,
      match: { ...r.match, variant: undefined, source_type: undefined },
    })),
    logger: testLogger(),
    retry: { attemptsPerPass: 1, initialDelaySec: 60, maxDelaySec: 600 },
    ...over,
  };
}

export const reopen = (): ReceiptStore =>
  ReceiptStore.open({ file: join(dir.path, 'state', 'nas-sync.sqlite') })!;

/** A fresh root (outputs/, nas/, the receipts) for each test of the file that calls it, removed after. */
export function engineFixtures(): void {
  beforeEach(async () => {
    dir = await tempDir('imk-engine-');
    outputs = join(dir.path, 'outputs');
    nas = join(dir.path, 'nas');
    receipts = reopen();
  });

  afterEach(async () => {
    receipts.close();
    await dir.remove();
  });
}

/** The receipts the tests (and engineOptions) use from now on: a store opened again, as after a restart. */
export function setReceipts(store: ReceiptStore): void {
  receipts = store;
}
