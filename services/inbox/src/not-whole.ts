// Files found not whole yet (empty, holding less than they declare of themselves: @imk/media's not-whole.ts):
// a copy that paused longer
// than the stability looks. They are left in the inbox for the rest of the copy, and judged only once they
// have not changed for incompleteWaitSec.
import type { Stats } from 'node:fs';
import type { Logger } from '@imk/log';

export interface NotWholeFiles {
  /**
   * `name` (as `stats`) is not whole yet, `what` saying how (after its name: "is empty (0 bytes)"): `wait`
   * while it may still be copied (said once in the log), `give-up` once it has not changed for `waitSec`
   * (then it is forgotten).
   */
  seen(name: string, stats: Stats, what: string): 'wait' | 'give-up';
  /** `name` was found whole (or was taken): forgotten. */
  forget(name: string): void;
  /** Forgets the files no longer in the inbox (`present`: the names listed). */
  keepOnly(present: ReadonlySet<string>): void;
}

/** `waitSec` = 0: given up on at once (the file is set aside at the first look). */
export function createNotWholeFiles(waitSec: number, logger: Logger): NotWholeFiles {
  // By name: the file as it was, and since when (this process's monotonic clock) it stays so.
  const files = new Map<string, { size: number; mtimeMs: number; since: number }>();
  return {
    seen(name, stats, what) {
      const at = performance.now();
      let seen = files.get(name);
      if (seen === undefined || seen.size !== stats.size || seen.mtimeMs !== stats.mtimeMs) {
        seen = { size: stats.size, mtimeMs: stats.mtimeMs, since: at };
        files.set(name, seen);
        if (waitSec > 0)
          logger.info(
            { file: name },
            `${name} ${what}: left in the inbox for the rest of the copy, and set aside in .rejected/ if it does not change for ${waitSec} s (incompleteWaitSec)`,
          );
      }
      if (at - seen.since < waitSec * 1000) return 'wait';
      files.delete(name);
      return 'give-up';
    },
    forget(name) {
      files.delete(name);
    },
    keepOnly(present) {
      for (const name of files.keys()) if (!present.has(name)) files.delete(name);
    },
  };
}

/** What to do with a file that stayed cut short (a WAV's part can be kept by rewriting its header). */
export function cutShortAdvice(name: string, ext: string): string {
  const again =
    'it was cut short (an interrupted copy or download): copy the whole file into the inbox again';
  if (ext !== '.wav') return again;
  return `${again}, or, to use what it holds, rewrite its header first (ffmpeg -i "${name}" -c copy "whole.wav") and drop that`;
}
