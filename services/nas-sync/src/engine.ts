import { resolvePaths } from '@imk/config';
import type { Logger } from '@imk/log';
import { createSyncEngine, type ReceiptStore, type SyncEngine } from '@imk/sync';
import type { NasSyncConfig } from './config.ts';

/** The sync engine for a loaded nas-sync config: the service's passes and `imk cleanup`'s plan use this one. */
export function openEngine(
  config: NasSyncConfig,
  options: { root: string; logger: Logger; env?: NodeJS.ProcessEnv | undefined },
  receipts: ReceiptStore | undefined,
  component = 'sync-engine',
): SyncEngine {
  return createSyncEngine({
    outputsDir: resolvePaths(options.root).outputs,
    receipts,
    routes: config.routes,
    remoteRoots: config.remoteRoots,
    backends: config.backends,
    unrouted: config.unrouted,
    conflict: config.conflict,
    concurrency: config.concurrency,
    shareTimeoutSec: config.shareTimeoutSec,
    retry: config.retry,
    logger: options.logger.child({ component }),
    env: options.env,
  });
}
