// The songs `imk eval` reads are the user's own (--dir, IMK_EVAL_DIR), so links are followed; but ffmpeg is
// only ever given a path once it is known to be a regular file: a FIFO named `x.stem.mp4` would block it
// forever, a device would never end.
import type { Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { ImkError } from '@imk/errors';
import { openUntrusted, untrustedErrnoError } from '@imk/fs-safe';
import '../errors.ts';

/** What `path` is after following links, or undefined when nothing is there (or a link leads nowhere). */
export async function kindOf(path: string): Promise<Stats | undefined> {
  return stat(path).catch(() => undefined);
}

/**
 * The real path of `path`, once it is known to be a regular file this process can open: opened without
 * blocking (fs-safe's openUntrusted) and checked with fstat, then closed. Throws
 * ImkError('EVAL_DIR_INVALID') naming `path` and what it is otherwise.
 */
export async function regularFile(path: string): Promise<string> {
  try {
    const real = await realpath(path);
    const { handle } = await openUntrusted(real, { name: path });
    await handle.close();
    return real;
  } catch (error) {
    const reason = untrustedErrnoError(error, path).message;
    throw new ImkError('EVAL_DIR_INVALID', `${reason}: cannot evaluate it`, { cause: error });
  }
}
