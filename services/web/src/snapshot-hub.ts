import { errorMessage } from '@imk/errors';
import type { Logger } from '@imk/log';

type Listener = (text: string) => void;

/**
 * The share of the time live updates may spend taking snapshots. A snapshot lists every waiting job's
 * folder (and reads its state file): with thousands of jobs queued (a big playlist) one takes a second or
 * more, and taking them back to back kept a CPU core busy for as long as a page was open. Past that, live
 * updates come less often instead (every 5 s for a snapshot of 1 s).
 */
export const SNAPSHOT_DUTY = 0.2;

export interface SnapshotHubOptions {
  /** One snapshot, serialised by the hub. */
  take: () => Promise<unknown>;
  /** The period while snapshots are quick (web.eventIntervalMs). */
  intervalMs: number;
  logger: Logger;
}

export interface SnapshotHub {
  /** Sends the last snapshot at once, then each one that differs; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void;
}

/** One poller for every open page: a snapshot is taken once per period, only while someone listens. */
export function createSnapshotHub(options: SnapshotHubOptions): SnapshotHub {
  const listeners = new Set<Listener>();
  let timer: NodeJS.Timeout | undefined;
  let last = '';
  // Bumped when the last listener leaves: a look still under way then schedules nothing more.
  let generation = 0;
  let running = false;

  const look = async (mine: number): Promise<void> => {
    const started = performance.now();
    try {
      const text = JSON.stringify(await options.take());
      if (mine === generation && text !== last) {
        last = text;
        for (const listener of listeners) listener(text);
      }
    } catch (error) {
      options.logger.warn({ err: errorMessage(error) }, 'live update failed');
    }
    if (mine !== generation) return;
    const took = performance.now() - started;
    const period = Math.max(options.intervalMs, took / SNAPSHOT_DUTY);
    timer = setTimeout(() => void look(mine), Math.max(0, period - took));
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (last) listener(last);
      if (!running) {
        running = true;
        void look(generation);
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && running) {
          running = false;
          generation++;
          clearTimeout(timer);
          timer = undefined;
          last = '';
        }
      };
    },
  };
}
