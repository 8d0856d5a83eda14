import type { PutResult } from '../types.ts';
import { takeSlot, type Limiter } from '../util/limiter.ts';
import type { BatchItem } from './rsync-batch.ts';

// Transfers that become due together arrive one after the other (each is checked first): a run waits until
// none arrived for this long (at most GATHER_MAX_MS) so that they ride together. While the engine says more
// puts are on their way (`coming`: each transfer's checks at the destination, a folder listing over the
// shared shell each, come before its put), a run waits for them instead, as long as GATHER_COMING_MAX_MS:
// on a loaded machine the gaps between arrivals are longer than any quiet moment a guess could use.
const GATHER_QUIET_MS = 15;
const GATHER_MAX_MS = 250;
const GATHER_COMING_MAX_MS = 5000;

/** A file waiting for a run, with the promise its put returned. */
export interface Waiting {
  item: BatchItem;
  resolve(result: PutResult): void;
  reject(error: Error): void;
}

export interface RunQueueOptions {
  /** Runs copying at once. */
  runs: number;
  /** Files one run carries at most. */
  maxFiles: number;
  /** A run takes no more files once it holds this many bytes. @default Infinity */
  maxBytes?: number;
  /** The engine's limit on transfers at once: each run holds one slot while it copies. */
  slots?: Limiter;
  /**
   * Sends one batch and settles each entry; calls `copied` once the copy is over (the next run may start
   * while this one's copies are checked). Entries it has not settled when it ends are rejected with its error.
   */
  send(batch: Waiting[], copied: () => void): Promise<void>;
}

/**
 * Gathers the files put at about the same moment into runs of one tool (rsync): one connection and one
 * start-up per run instead of per file. The same temporary name is never in two runs at once (the second
 * waits for a later run); every file is still checked and committed on its own by `send`.
 */
export function createRunQueue(options: RunQueueOptions): {
  put(item: BatchItem): Promise<PutResult>;
  /** The engine's count of puts on their way changes by `delta` (SyncBackend.coming). */
  coming(delta: number): void;
} {
  const maxBytes = options.maxBytes ?? Infinity;
  let waiting: Waiting[] = [];
  let lastArrival = 0;
  let coming = 0;
  let running = 0;
  const inFlight = new Set<string>();

  const full = (): boolean =>
    waiting.length >= options.maxFiles ||
    waiting.reduce((sum, entry) => sum + entry.item.request.bytes, 0) >= maxBytes;

  function schedule(): void {
    if (running >= options.runs || waiting.length === 0) return;
    running++;
    const started = performance.now();
    const gather = (): void => {
      const now = performance.now();
      const quiet = now - lastArrival;
      if (full()) return void flush();
      if (coming > 0 && now - started < GATHER_COMING_MAX_MS) setTimeout(gather, GATHER_QUIET_MS);
      else if (quiet < GATHER_QUIET_MS && now - started < GATHER_MAX_MS)
        setTimeout(gather, GATHER_QUIET_MS - quiet);
      else void flush();
    };
    setTimeout(gather, GATHER_QUIET_MS);
  }

  async function flush(): Promise<void> {
    const release = options.slots ? await takeSlot(options.slots) : undefined;
    const batch: Waiting[] = [];
    const later: Waiting[] = [];
    let bytes = 0;
    for (const entry of waiting) {
      const free = batch.length < options.maxFiles && bytes < maxBytes && !inFlight.has(entry.item.temp);
      (free ? batch : later).push(entry);
      if (!free) continue;
      inFlight.add(entry.item.temp);
      bytes += entry.item.request.bytes;
    }
    waiting = later;
    let copying = true;
    const copied = (): void => {
      if (!copying) return;
      copying = false;
      release?.();
      running--;
      schedule();
    };
    if (batch.length === 0) return copied();
    schedule();
    try {
      await options.send(batch, copied);
    } catch (error) {
      // A promise settles once: entries `send` already answered keep their answer.
      for (const entry of batch) entry.reject(error as Error);
    } finally {
      for (const entry of batch) inFlight.delete(entry.item.temp);
      copied();
    }
  }

  return {
    coming(delta) {
      coming = Math.max(0, coming + delta);
    },
    put: (item) =>
      new Promise<PutResult>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        lastArrival = performance.now();
        schedule();
      }),
  };
}
