import { resolvePaths } from '@imk/config';
import type { Logger } from '@imk/log';
import { bytesFromMb, loadOperationsConfig } from './config.ts';
import { createDiskGuard, type DiskGuard } from './disk-guard.ts';

export interface OpenDiskGuardOptions {
  root: string;
  logger: Logger;
  /** Releases this user's hold; the checks stop when every user has released it. */
  signal: AbortSignal;
}

interface Shared {
  guard: Promise<DiskGuard>;
  users: number;
  stop: AbortController;
}

const shared = new Map<string, Shared>();

/**
 * The disk guard for a root, configured from `config/operations.yaml` (`diskGuard`), measured once before
 * it is returned and then every `checkIntervalSeconds`. Services in one process (`imk up`) share one guard
 * per root, so the worker and the dashboard see the same state; it keeps checking until the last user's
 * signal aborts.
 *
 * A worker asks `guard.shouldClaim()` before each claim.
 */
export function openDiskGuard(options: OpenDiskGuardOptions): Promise<DiskGuard> {
  const paths = resolvePaths(options.root);
  let entry = shared.get(paths.root);
  if (!entry) {
    const stop = new AbortController();
    const guard = (async () => {
      const { diskGuard } = await loadOperationsConfig(paths.root);
      const created = createDiskGuard({
        paths: [paths.outputs, paths.queues, paths.state, paths.root],
        minFreeBytes: bytesFromMb(diskGuard.minFreeMb),
        resumeFreeBytes: bytesFromMb(diskGuard.resumeFreeMb),
        intervalMs: diskGuard.checkIntervalSeconds * 1000,
        enabled: diskGuard.enabled,
        logger: options.logger.child({ component: 'disk-guard' }),
      });
      await created.check();
      created.start(stop.signal);
      return created;
    })();
    const created: Shared = { guard, users: 0, stop };
    entry = created;
    shared.set(paths.root, created);
    guard.catch(() => {
      if (shared.get(paths.root) === created) shared.delete(paths.root);
    });
  }
  const held = entry;
  held.users++;
  const release = (): void => {
    held.users--;
    if (held.users > 0) return;
    held.stop.abort();
    if (shared.get(paths.root) === held) shared.delete(paths.root);
  };
  if (options.signal.aborted) release();
  else options.signal.addEventListener('abort', release, { once: true });
  return held.guard;
}
