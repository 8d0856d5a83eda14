import { lstat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isAbsentErrno } from '@imk/errors';

/**
 * Why `file` cannot be opened when it is not there, in plain words, or undefined when it is there. ffmpeg
 * and ffprobe say only "No such file or directory" (read as "corrupt or not a media format"); this names
 * the first folder on the way that is missing, so that a user sees a moved folder as one.
 */
export async function missingFileReason(file: string): Promise<string | undefined> {
  if (await exists(file)) return undefined;
  // The highest missing folder on the way: the one a person moved or deleted.
  let missing: string | undefined;
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    if (await exists(dir)) break;
    missing = dir;
  }
  return missing === undefined
    ? 'it does not exist (moved or deleted?)'
    : `it does not exist: the folder ${missing} is not there (moved or deleted?)`;
}

/** Whether anything (a file, a folder, a link) is at `path`; ENOENT and ENOTDIR say no. */
async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if (isAbsentErrno(error)) return false;
    // Anything else (EACCES…): something is there, or cannot be told; the tool's own words say more.
    return true;
  }
}

/**
 * The files after `-i` in an ffmpeg argument list that are not there, with why. A run whose input vanished
 * (moved or deleted while a job used it) is said to be that, not an ffmpeg failure.
 */
export async function missingInputs(args: readonly string[]): Promise<string[]> {
  const reasons: string[] = [];
  for (let i = 0; i + 1 < args.length; i++) {
    if (args[i] !== '-i') continue;
    const input = args[i + 1]!;
    if (input === '-' || input.startsWith('pipe:')) continue;
    const why = await missingFileReason(input);
    if (why !== undefined) reasons.push(`${input}: ${why}`);
  }
  return reasons;
}
