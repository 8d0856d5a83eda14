// A download whose source said no length (a direct link, a web radio, a live stream) is watched: an endless
// stream would otherwise be downloaded for ever, filling the disk, with the retriever waiting on it.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { probeMedia } from '@imk/media';

/** How often the growing download is measured. */
export const LENGTH_WATCH_INTERVAL_MS = 2000;

export interface LengthWatch {
  /** Aborted once what was downloaded lasts longer than the limit (then `overSec` says how long). */
  readonly signal: AbortSignal;
  /** The length measured when the limit was passed; undefined while it has not been. */
  readonly overSec: number | undefined;
  stop(): void;
}

/**
 * Measures the largest file in `workDir` (yt-dlp's `.part` as it grows) every `intervalMs` with ffprobe,
 * and aborts `signal` once it lasts longer than `maxSec`. A file ffprobe cannot read yet is measured again
 * at the next look.
 */
export function watchLength(
  workDir: string,
  maxSec: number,
  intervalMs = LENGTH_WATCH_INTERVAL_MS,
): LengthWatch {
  const controller = new AbortController();
  let overSec: number | undefined;
  let busy = false;
  const timer = setInterval(() => {
    if (busy || controller.signal.aborted) return;
    busy = true;
    void measure(workDir)
      .then((seconds) => {
        if (seconds !== undefined && seconds > maxSec && !controller.signal.aborted) {
          overSec = seconds;
          controller.abort();
        }
      })
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  return {
    signal: controller.signal,
    get overSec() {
      return overSec;
    },
    stop: () => clearInterval(timer),
  };
}

/** The length of the largest file in `dir`, or undefined when there is none ffprobe can read (yet). */
async function measure(dir: string): Promise<number | undefined> {
  let largest: { path: string; size: number } | undefined;
  for (const name of await readdir(dir).catch(() => [])) {
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile() && info.size > (largest?.size ?? 0)) largest = { path, size: info.size };
  }
  if (largest === undefined) return undefined;
  const probed = await probeMedia(largest.path, { timeoutMs: 10_000 }).catch(() => undefined);
  return probed?.duration_sec ?? undefined;
}
