import { errorMessage } from '@imk/errors';
import type { Logger } from '@imk/log';
import {
  createRefreshScheduler,
  serverPath,
  syncEvent,
  type NotifierHandle,
  type RefreshScheduler,
  type SyncedFile,
} from '@imk/notify';
import { pathOnDestination, type PassSummary } from '@imk/sync';
import type { NasSyncConfig } from './config.ts';
import { recordDestinationFaults } from './destination-health.ts';

export interface AfterPassContext {
  notifier: NotifierHandle;
  /** ImkPaths.state (refresh results are recorded beside the notifications). */
  stateDir: string;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /**
   * The running service's refreshes: handed over, not waited for (a slow server does not hold the next
   * deliveries), at most one per server's minIntervalSec. Without it (one pass), a scheduler of the pass's own
   * runs them under the same rule and the pass waits for them.
   */
  refreshes?: RefreshScheduler;
}

/** Route name (as transfers carry it: `name`, else `routes.<index>`) → the media servers it refreshes. */
function refreshesByRoute(config: NasSyncConfig): Map<string, string[]> {
  const map = new Map<string, string[]>();
  config.routes.forEach((route, index) => {
    if (!route.refresh) return;
    const name = route.name ?? `routes.${index}`;
    map.set(name, [...new Set([...(map.get(name) ?? []), ...route.refresh])]);
  });
  return map;
}

/**
 * What a pass tells people and media servers: `sync.delivered` for the files it delivered, `sync.failed`
 * for those that failed for good, a refresh of each media server a delivering route names, and which
 * destinations cannot take files (the running service's health reads it). Nothing here throws:
 * notifications go through the outbox, and a refresh or a record that fails is logged.
 */
export async function afterPass(
  summary: PassSummary,
  config: NasSyncConfig,
  ctx: AfterPassContext,
): Promise<void> {
  if (summary.dryRun) return;
  await recordDestinationFaults(ctx.stateDir, summary).catch((error: unknown) =>
    ctx.logger.warn(
      { err: errorMessage(error) },
      `cannot record which destinations fail (the dashboard may not show them): ${errorMessage(error)}`,
    ),
  );
  const delivered = summary.outcomes.filter((o) => o.status === 'delivered');
  const failedForGood = summary.outcomes.filter((o) => o.status === 'failed' && o.final);
  if (delivered.length > 0)
    await ctx.notifier.emit(
      syncEvent(
        'sync.delivered',
        delivered.map((o): SyncedFile => ({
          jobId: o.transfer.jobId,
          path: `${o.transfer.backend}:${o.transfer.remotePath}`,
        })),
      ),
    );
  if (failedForGood.length > 0)
    await ctx.notifier.emit(
      syncEvent(
        'sync.failed',
        failedForGood.map((o): SyncedFile => ({
          jobId: o.transfer.jobId,
          path: `${o.transfer.artifact.path} → ${o.transfer.destination}`,
          error: o.error ?? o.errorCode ?? 'failed',
        })),
      ),
    );
  const routes = refreshesByRoute(config);
  const byServer = new Map<string, string[]>();
  // A pathMap whose `from` starts none of a route's paths tells the server paths it does not know: it
  // answers "ok" and finds nothing. Said once per route and server each pass, with the first such path.
  const unmapped = new Map<string, { route: string; server: string; path: string; count: number }>();
  for (const outcome of delivered)
    for (const server of routes.get(outcome.transfer.routeName) ?? []) {
      // As the backend wrote it: below its root (a route's path alone is relative to it). A route without a
      // backend of its own writes to a plain local folder, its path absolute.
      const backend = config.backends[outcome.transfer.backend];
      const path = backend
        ? pathOnDestination(backend, outcome.transfer.remotePath)
        : outcome.transfer.remotePath;
      byServer.set(server, [...(byServer.get(server) ?? []), path]);
      const media = config.mediaServers[server];
      if (media && 'pathMap' in media && media.pathMap && serverPath(media, path) === path) {
        const key = `${outcome.transfer.routeName}\n${server}`;
        const seen = unmapped.get(key);
        if (seen) seen.count++;
        else unmapped.set(key, { route: outcome.transfer.routeName, server, path, count: 1 });
      }
    }
  for (const { route, server, path, count } of unmapped.values()) {
    const from = (config.mediaServers[server] as { pathMap?: { from: string } }).pathMap?.from;
    ctx.logger.warn(
      { route, server, path, unmapped: count },
      `route "${route}": media server "${server}" has pathMap.from ${from}, which does not start ${path}${count > 1 ? ` (nor ${count - 1} more of this pass)` : ''}: the server is told that path as it is and may not find the file; fix mediaServers.${server}.pathMap.from in config/nas-sync.yaml (the folder as nas-sync writes it)`,
    );
  }
  // Also when nothing new was delivered: a server that was down is owed the files it missed.
  if (Object.keys(config.mediaServers).length === 0) return;
  // One pass (imk sync --once) goes through a scheduler of its own, waited for: the same rule as the running
  // service ("down" said once, not each failed try; "slow" once; what is still owed kept for the next run).
  const refreshes =
    ctx.refreshes ??
    createRefreshScheduler({
      servers: config.mediaServers,
      stateDir: ctx.stateDir,
      logger: ctx.logger,
      env: ctx.env,
      signal: ctx.signal,
    });
  refreshes.add(byServer);
  if (!ctx.refreshes) await refreshes.close();
}
