import { mkdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { fitName, moveToFreeName } from '@imk/fs-safe';
import type { Logger } from '@imk/log';
import { moveOriginal, type FileIdentity } from './move-original.ts';

export const PROCESSED_DIR = '.processed';
export const REJECTED_DIR = '.rejected';
/** Written beside a rejected file: `<name>.reason.txt`. */
const REASON_SUFFIX = '.reason.txt';
/** A longer "extension" is part of the name: it is not kept whole when the name must be shortened. */
const MAX_EXT_BYTES = 16;

/**
 * Moves a file into `.processed/` or `.rejected/` under the first free name (`name`, `stem (2).ext`, …),
 * with `<name>.reason.txt` beside it when a reason is given: the pair never replaces a file already there.
 * With `original` (the file a take read), only that file is moved (moveOriginal); undefined when the name
 * no longer stands for it. `inbox` is the inbox folder, `name` the file's name in it.
 */
export async function placeFile(
  inbox: string,
  logger: Logger,
  name: string,
  folder: string,
  reason?: (placedAt: string) => string,
  original?: FileIdentity,
): Promise<string | undefined> {
  const dir = join(inbox, folder);
  await mkdir(dir, { recursive: true });
  // A name near the 255-byte limit is shortened (its stem) so that " (2)" and ".reason.txt" still fit:
  // before, such a file was never moved (ENAMETOOLONG) and failed again on every pass.
  const dotted = extname(name);
  const ext = Buffer.byteLength(dotted) <= MAX_EXT_BYTES ? dotted : '';
  const stem = name.slice(0, name.length - ext.length);
  const reserve = reason === undefined ? 0 : Buffer.byteLength(REASON_SUFFIX);
  const fit = (tail: string, room = reserve) => fitName(stem, `${tail}${ext}`, room);
  const options = {
    candidate: (n: number) => join(dir, fit(n === 1 ? '' : ` (${n})`)),
    ...(reason !== undefined && { companion: { suffix: REASON_SUFFIX, text: reason } }),
  };
  if (original === undefined) return moveToFreeName(join(inbox, name), options);
  // Saved over the name, then saved over again before it could go back: kept with the reason, not queued.
  const setAside = async (held: string) => {
    const rejected = join(inbox, REJECTED_DIR);
    await mkdir(rejected, { recursive: true });
    const room = Buffer.byteLength(REASON_SUFFIX);
    const placedAt = await moveToFreeName(held, {
      candidate: (n) => join(rejected, fit(n === 1 ? '' : ` (${n})`, room)),
      companion: {
        suffix: REASON_SUFFIX,
        text: (at) =>
          `${name}${basename(at) === name ? '' : ` (kept as ${basename(at)})`}: saved over ${name} while the inbox took the file before it, then saved over again by a newer file (which stays in the inbox); not queued: drop it again to queue it\n(${new Date().toISOString()})\n`,
      },
    });
    logger.warn({ file: name, moved_to: placedAt }, 'saved over twice while it was taken; set aside');
  };
  return moveOriginal(inbox, name, dir, original, options, setAside);
}
