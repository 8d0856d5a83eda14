import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatBytes, type Logger } from '@imk/log';
import { isAbsentErrno } from '@imk/errors';

/** Seconds between free-space checks when nobody says (config/operations.yaml's diskGuard.checkIntervalSeconds). */
export const DEFAULT_DISK_CHECK_SECONDS = 30;

export interface DiskSpace {
  path: string;
  freeBytes: number;
  totalBytes: number;
}

export interface DiskGuardStatus {
  /** False while free space is below the threshold: workers must not claim new jobs. */
  claiming: boolean;
  /** The path with the least free space at the last check. */
  lowest: DiskSpace | undefined;
  spaces: DiskSpace[];
  minFreeBytes: number;
  resumeFreeBytes: number;
  checkedAt: string | undefined;
  /** Why claiming is paused, in words for logs and the dashboard. */
  reason: string | undefined;
}

export interface DiskGuardOptions {
  /** Folders whose filesystems are watched (outputs/, queues/, state/). */
  paths: string[];
  /** Pause claiming below this many free bytes. */
  minFreeBytes: number;
  /** Resume once free space is at least this (hysteresis, so claiming does not flap). @default minFreeBytes */
  resumeFreeBytes?: number;
  /** @default DEFAULT_DISK_CHECK_SECONDS in milliseconds */
  intervalMs?: number;
  logger: Logger;
  /** Reads free space; replaceable so a test can simulate a filling disk. @default fs.statfs */
  measure?: (path: string) => Promise<DiskSpace>;
  /** When false the guard always allows claiming (it still measures). @default true */
  enabled?: boolean;
}

export interface DiskGuard {
  /** The answer a worker asks before each claim: true when there is room for another job. */
  shouldClaim(): boolean;
  /** Measures now and updates the state (logging a transition). */
  check(): Promise<DiskGuardStatus>;
  status(): DiskGuardStatus;
  /** Checks every interval until the signal aborts. */
  start(signal: AbortSignal): void;
  stop(): void;
}

export async function measureDiskSpace(path: string): Promise<DiskSpace> {
  const info = await statfs(path);
  // bavail: blocks available to unprivileged users, which is what a non-root service can use.
  return { path, freeBytes: info.bavail * info.bsize, totalBytes: info.blocks * info.bsize };
}

/**
 * Stops claiming below a free-space threshold and resumes above a higher one. A path that does not exist
 * yet is measured at its nearest folder that does (it is created on first use, on that file system).
 */
export function createDiskGuard(options: DiskGuardOptions): DiskGuard {
  const resumeFreeBytes = Math.max(options.resumeFreeBytes ?? options.minFreeBytes, options.minFreeBytes);
  const measure = options.measure ?? measureDiskSpace;
  const enabled = options.enabled ?? true;
  const logger = options.logger;
  let claiming = true;
  let spaces: DiskSpace[] = [];
  let checkedAt: string | undefined;
  let timer: NodeJS.Timeout | undefined;

  const lowest = (): DiskSpace | undefined =>
    spaces.reduce<DiskSpace | undefined>(
      (low, s) => (low === undefined || s.freeBytes < low.freeBytes ? s : low),
      undefined,
    );

  const status = (): DiskGuardStatus => {
    const low = lowest();
    return {
      claiming,
      lowest: low,
      spaces,
      minFreeBytes: options.minFreeBytes,
      resumeFreeBytes,
      checkedAt,
      reason:
        claiming || !low
          ? undefined
          : `only ${formatBytes(low.freeBytes)} free on ${low.path} (below ${formatBytes(options.minFreeBytes)}); claiming paused until ${formatBytes(resumeFreeBytes)} are free`,
    };
  };

  const check = async (): Promise<DiskGuardStatus> => {
    const measured: DiskSpace[] = [];
    for (const path of options.paths) {
      // A folder not made yet (outputs/ before the first job) is made on its parent's file system: that one
      // is measured. Skipped, as before, a worker whose outputs/ was to be made on a full disk (a share, a
      // small volume) claimed job after job and failed each at encode, its attempts spent in seconds.
      for (let at = path; ; at = dirname(at)) {
        try {
          // Once each: several folders not made yet share an existing parent (a fresh root).
          if (at === path || !measured.some((space) => space.path === at)) measured.push(await measure(at));
          break;
        } catch (error) {
          if (!isAbsentErrno(error)) throw error;
          // Through a file (ENOTDIR): it can never be made there, so there is nothing to measure.
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(at) === at) break;
        }
      }
    }
    spaces = measured;
    checkedAt = new Date().toISOString();
    const low = lowest();
    if (!enabled || !low) return status();
    if (claiming && low.freeBytes < options.minFreeBytes) {
      claiming = false;
      logger.warn(
        { path: low.path, freeBytes: low.freeBytes, minFreeBytes: options.minFreeBytes },
        `disk guard: ${status().reason ?? ''}; free space with \`imk cleanup\` or raise diskGuard.minFreeMb in config/operations.yaml`,
      );
    } else if (!claiming && low.freeBytes >= resumeFreeBytes) {
      claiming = true;
      logger.info(
        { path: low.path, freeBytes: low.freeBytes },
        `disk guard: ${formatBytes(low.freeBytes)} free on ${low.path}; claiming resumed`,
      );
    }
    return status();
  };

  return {
    shouldClaim: () => claiming,
    check,
    status,
    start(signal) {
      if (timer) return;
      const tick = (): void => {
        check().catch((error: unknown) =>
          logger.error({ err: error }, 'disk guard: free-space check failed'),
        );
      };
      tick();
      timer = setInterval(tick, options.intervalMs ?? DEFAULT_DISK_CHECK_SECONDS * 1000);
      timer.unref();
      signal.addEventListener('abort', () => this.stop(), { once: true });
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
