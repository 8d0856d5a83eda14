// A yt-dlp run that makes no progress is stopped. --socket-timeout ends a connection that goes silent, but a
// yt-dlp stuck otherwise (a hung extractor, a JavaScript challenge solver that never answers, a connection
// that trickles nothing useful) kept `imk fetch` and the retriever's request waiting for ever, without a word.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface StallWatch {
  /** Aborted once nothing moved for the bound (then `stalledSec` says for how long). */
  readonly signal: AbortSignal;
  readonly stalledSec: number | undefined;
  /** Told of a sign of progress (the tool wrote something). */
  progress(): void;
  stop(): void;
}

/**
 * Watches a run for progress: what it writes (told through `progress()`) and, when `dir` is given, the
 * files in it growing or changing (a download without progress output, ffmpeg converting or merging).
 * Aborts `signal` once neither moved for `stallMs`.
 */
export function watchStall(stallMs: number, dir?: string): StallWatch {
  const controller = new AbortController();
  let last = performance.now();
  let seen = '';
  let stalledSec: number | undefined;
  let busy = false;
  const timer = setInterval(
    () => {
      if (busy || controller.signal.aborted) return;
      busy = true;
      void (dir === undefined ? Promise.resolve('') : look(dir))
        .then((now) => {
          if (now !== seen) {
            seen = now;
            last = performance.now();
          } else if (performance.now() - last >= stallMs && !controller.signal.aborted) {
            stalledSec = Math.round((performance.now() - last) / 1000);
            controller.abort();
          }
        })
        .finally(() => {
          busy = false;
        });
    },
    Math.max(50, Math.min(5000, Math.floor(stallMs / 4))),
  );
  timer.unref();
  return {
    signal: controller.signal,
    get stalledSec() {
      return stalledSec;
    },
    progress: () => {
      last = performance.now();
    },
    stop: () => clearInterval(timer),
  };
}

/** What `dir` holds, as one comparable text: each file's name, size and mtime (a folder not there: nothing). */
async function look(dir: string): Promise<string> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const parts = await Promise.all(
    names.map(async (name) => {
      const info = await stat(join(dir, name)).catch(() => undefined);
      return info === undefined ? '' : `${name}:${info.size}:${info.mtimeMs}`;
    }),
  );
  return parts.sort().join('|');
}
