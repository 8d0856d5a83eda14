import { watch, type FSWatcher } from 'node:fs';
import { errorMessage } from '@imk/errors';
import type { Logger } from '@imk/log';
import { DEFAULT_POLL_INTERVAL_MS } from './settings.ts';

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface PollLoopOptions {
  /** One pass over the folder (or whatever is polled). Errors are logged and the loop goes on. */
  tick: () => Promise<void>;
  /** Time between passes. @default DEFAULT_POLL_INTERVAL_MS */
  intervalMs?: number;
  /** Stops the loop; the promise resolves after the pass in progress ends. */
  signal?: AbortSignal;
  logger: Logger;
  /**
   * A folder watched as a hint: an event starts the next pass early. Polling stays the truth, because on
   * NFS and SMB no events arrive.
   */
  watchDir?: string;
}

/** Runs `tick` every `intervalMs` until `signal` aborts. */
export async function runPollLoop(options: PollLoopOptions): Promise<void> {
  const { signal, logger } = options;
  const interval = options.intervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  let wake: (() => void) | undefined;
  let watcher: FSWatcher | undefined;
  if (options.watchDir !== undefined) {
    try {
      watcher = watch(options.watchDir, { persistent: false }, () => wake?.());
      watcher.on('error', () => watcher?.close());
    } catch {
      // No watcher (folder missing, inotify limits, network share): polling alone is enough.
    }
  }
  try {
    while (!signal?.aborted) {
      try {
        await options.tick();
      } catch (error) {
        logger.error({ err: errorMessage(error) }, 'poll pass failed; retrying at the next interval');
      }
      if (signal?.aborted) break;
      const hinted = new AbortController();
      wake = () => hinted.abort();
      await sleep(interval, signal ? AbortSignal.any([signal, hinted.signal]) : hinted.signal);
      wake = undefined;
    }
  } finally {
    watcher?.close();
  }
}
