import { resolvePaths } from '@imk/config';
import type { Logger } from '@imk/log';
import { bytesFromMb, loadOperationsConfig } from './config.ts';
import { createDiskGuard, type DiskGuard } from './disk-guard.ts';

export interface OpenDiskGuardOptions {
  root: string;
  logger: Logger;
  /** Stops the periodic checks. */
  signal: AbortSignal;
}

const shared = new Map<string, Promise<DiskGuard>>();

/**
 * The disk guard for a root, configured from `config/operations.yaml` (`diskGuard`), measured once before
 * it is returned and then every `checkIntervalSeconds`. Services in one process (`imk up`) share one guard
 * per root, so the worker and the dashboard see the same state.
 *
 * A worker asks `guard.shouldClaim()` before each claim.
 */
export function openDiskGuard(options: OpenDiskGuardOptions): Promise<DiskGuard> {
  const paths = resolvePaths(options.root);
  const existing = shared.get(paths.root);
  if (existing) return existing;
  const opening = (async () => {
    const { diskGuard } = await loadOperationsConfig(paths.root);
    const guard = createDiskGuard({
      paths: [paths.outputs, paths.queues, paths.state, paths.root],
      minFreeBytes: bytesFromMb(diskGuard.minFreeMb),
      resumeFreeBytes: bytesFromMb(diskGuard.resumeFreeMb),
      intervalMs: diskGuard.checkIntervalSeconds * 1000,
      enabled: diskGuard.enabled,
      logger: options.logger.child({ component: 'disk-guard' }),
    });
    await guard.check();
    guard.start(options.signal);
    return guard;
  })();
  shared.set(paths.root, opening);
  opening.catch(() => shared.delete(paths.root));
  options.signal.addEventListener('abort', () => shared.delete(paths.root), { once: true });
  return opening;
}
