import { isAbsolute, posix, resolve } from 'node:path';
import { resolvePaths } from '@imk/config';
import type { Logger } from '@imk/log';
import { errorMessage } from '@imk/errors';
import {
  RSYNC_BACKEND,
  ReceiptStore,
  RsyncOptionsSchema,
  createRsyncBackend,
  sweepRsyncLeftovers,
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
 * server of an rsync backend over ssh (through that backend, as nas-sync's passes reach it). Never a
 * delivered file. Nothing to do when nas-sync is not configured.
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
  const local = new Map<string, { root: string | undefined; partialDir: string }>();
  const remote = new Map<string, Set<string>>();
  for (const [name, raw] of Object.entries(config.backends)) {
    if ((raw as { type?: string }).type !== RSYNC_BACKEND) continue;
    const parsed = RsyncOptionsSchema.safeParse(raw);
    if (!parsed.success) continue;
    if (parsed.data.host !== undefined) remote.set(name, new Set());
    else local.set(name, { root: parsed.data.root, partialDir: parsed.data.partialDir });
  }
  if (local.size === 0 && remote.size === 0) return result;
  const dirs = new Map<string, Set<string>>([...local.keys()].map((name) => [name, new Set<string>()]));
  const folderOf = (backend: string, remotePath: string): void => {
    // Over ssh: the route path's folder, which the backend places under its root on the server.
    remote.get(backend)?.add(posix.dirname(remotePath));
    const settings = local.get(backend);
    if (!settings) return;
    const full = settings.root ? posix.join(settings.root, remotePath.replace(/^\/+/, '')) : remotePath;
    if (isAbsolute(full)) dirs.get(backend)!.add(posix.dirname(resolve(full)));
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
  for (const [backend, folders] of dirs) {
    const swept = await sweepRsyncLeftovers({
      dirs: folders,
      partialDir: local.get(backend)!.partialDir,
      olderThanMs: options.olderThanMs,
      dryRun: options.dryRun,
      now: options.now,
    });
    result.removed.push(...swept.removed.map((entry) => ({ ...entry, backend })));
    result.problems.push(...swept.problems);
  }
  for (const [name, folders] of remote) {
    if (folders.size === 0) continue;
    let backend: RsyncBackend | undefined;
    try {
      backend = createRsyncBackend(config.backends[name] as RsyncOptions, {
        name,
        logger: options.logger.child({ component: 'sync-leftovers', backend: name }),
        env: options.env,
      });
      const swept = await backend.sweepLeftovers({
        remoteDirs: folders,
        olderThanMs: options.olderThanMs,
        dryRun: options.dryRun,
      });
      result.removed.push(...swept.removed.map((entry) => ({ ...entry, backend: name })));
      result.problems.push(...swept.problems);
    } catch (error) {
      // The server cannot be reached now (a NAS asleep), or the backend's settings are wrong (nas-sync says
      // so itself): its leftovers wait for the next cleanup.
      options.logger.warn(
        { backend: name, err: errorMessage(error) },
        `the leftovers of interrupted rsync transfers on backend "${name}" were not looked for: ${errorMessage(error)}`,
      );
    } finally {
      await backend?.close();
    }
  }
  return result;
}
