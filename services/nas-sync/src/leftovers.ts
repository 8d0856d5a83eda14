import { posix } from 'node:path';
import { resolvePaths } from '@imk/config';
import type { Logger } from '@imk/log';
import { errorMessage } from '@imk/errors';
import {
  RSYNC_BACKEND,
  ReceiptStore,
  RsyncOptionsSchema,
  createRsyncBackend,
  type RsyncBackend,
  type RsyncLeftover,
  type RsyncOptions,
} from '@imk/sync';
import { loadNasSyncConfig } from './config.ts';
import { openEngine } from './engine.ts';

export interface SyncLeftover extends RsyncLeftover {
  /** The backend (`backends.<name>`) whose destination folder held it. */
  backend: string;
}

export interface SweepSyncLeftoversResult {
  removed: SyncLeftover[];
  problems: { path: string; message: string }[];
}

/**
 * For `imk cleanup`: the leftovers of interrupted rsync transfers (partials under the backend's partialDir,
 * our temp names, rsync's own temps: sweepRsyncLeftovers) older than `olderThanMs`, in every folder a rsync
 * backend delivered to (its receipts) or would deliver to (the current plan): on this host, and on the
 * server of an rsync backend over ssh, always through the backend, as nas-sync's passes reach it (here, its
 * helper process with the no-progress watch of `shareTimeoutSec`: a share that stopped answering cannot hang
 * the cleanup). Never a delivered file. A folder, or a backend, that could not be swept is in `problems`,
 * with what to do; the other backends are swept all the same. Nothing to do when nas-sync is not configured.
 */
export async function sweepSyncLeftovers(options: {
  root: string;
  logger: Logger;
  olderThanMs: number;
  dryRun?: boolean;
  env?: NodeJS.ProcessEnv;
  now?: number;
}): Promise<SweepSyncLeftoversResult> {
  const result: SweepSyncLeftoversResult = { removed: [], problems: [] };
  const loaded = await loadNasSyncConfig(options.root, options.env);
  if (loaded.state !== 'enabled') return result;
  const { config } = loaded;
  // The route paths' folders of each rsync backend (the backend places them under its root).
  const folders = new Map<string, Set<string>>();
  for (const [name, raw] of Object.entries(config.backends)) {
    if ((raw as { type?: string }).type !== RSYNC_BACKEND) continue;
    if (RsyncOptionsSchema.safeParse(raw).success) folders.set(name, new Set());
  }
  if (folders.size === 0) return result;
  const folderOf = (backend: string, remotePath: string): void => {
    folders.get(backend)?.add(posix.dirname(remotePath));
  };
  const receipts = ReceiptStore.open({ file: resolvePaths(options.root).receipts, readonly: true });
  try {
    for (const receipt of receipts?.all().values() ?? []) folderOf(receipt.backend, receipt.remotePath);
  } finally {
    receipts?.close();
  }
  // A first copy into a folder, killed before any receipt was written, is found from the plan.
  const engine = openEngine(config, options, undefined, 'sync-leftovers');
  try {
    const plan = await engine.plan().catch(() => undefined);
    for (const transfer of plan?.transfers ?? []) folderOf(transfer.backend, transfer.remotePath);
  } finally {
    await engine.close();
  }
  for (const [name, dirs] of folders) {
    if (dirs.size === 0) continue;
    let backend: RsyncBackend | undefined;
    try {
      backend = createRsyncBackend(config.backends[name] as RsyncOptions, {
        name,
        logger: options.logger.child({ component: 'sync-leftovers', backend: name }),
        env: options.env,
        shareTimeoutMs: config.shareTimeoutSec * 1000,
      });
      const swept = await backend.sweepLeftovers({
        remoteDirs: dirs,
        olderThanMs: options.olderThanMs,
        dryRun: options.dryRun,
        now: options.now,
      });
      result.removed.push(...swept.removed.map((entry) => ({ ...entry, backend: name })));
      result.problems.push(...swept.problems);
    } catch (error) {
      // The server cannot be reached now (a NAS asleep), or the backend's settings are wrong (nas-sync says
      // so itself): its leftovers wait for the next cleanup, and this one says so.
      result.problems.push({
        path: `backend "${name}"`,
        message: `the leftovers of interrupted rsync transfers were not looked for: ${errorMessage(error)}`,
      });
    } finally {
      await backend?.close();
    }
  }
  return result;
}
