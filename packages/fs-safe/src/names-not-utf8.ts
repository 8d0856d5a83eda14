import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { isAbsentErrno } from '@imk/errors';
import { moveNoClobber } from './no-clobber.ts';

/** A dropped file whose name was not UTF-8, and the name it was given. */
export interface RenamedEntry {
  /** The name as it was listed before (the bytes that are not UTF-8 shown as U+FFFD). */
  was: string;
  /** Its new name: the same bytes read as Windows-1252 (Latin-1), e.g. `Café.mp3`. */
  now: string;
}

/** Where each rename is said (a pino logger fits). */
export interface RenameLogger {
  warn(fields: object, message: string): void;
}

export interface RenameNamesOptions {
  /** Only names whose bytes this accepts are renamed (a queue renames `job_…` folders, not a producer's `.tmp`). */
  only?: (name: Buffer) => boolean;
}

const WINDOWS_1252 = new TextDecoder('windows-1252');
const MAX_NAME_TRIES = 100;

/** Whether a name as listed (`readdir` gives U+FFFD for bytes that are not UTF-8) may be one that is not UTF-8. */
export function mayNotBeUtf8(name: string): boolean {
  return name.includes('\uFFFD');
}

/**
 * Gives every entry of `dir` whose name is not UTF-8 (`Caf\xe9.mp3`, copied from an old Windows share, a
 * zip or a CD rip; a bundle folder a script made so) the same name read as Windows-1252 (`Café.mp3`), or
 * `Café (2).mp3` when that is taken; nothing is replaced. Such a name is listed with U+FFFD in place of its
 * odd bytes, a name that opens nothing, so the entry was passed over without a word, for ever. Hidden
 * entries are left alone. Each rename is said to `logger` (warn). The one way a folder others write to
 * (a drop folder, a request folder, a queue) makes such names readable.
 */
export async function renameNamesNotUtf8(
  dir: string,
  logger?: RenameLogger,
  options: RenameNamesOptions = {},
): Promise<RenamedEntry[]> {
  let names: Buffer[];
  try {
    names = await readdir(dir, { encoding: 'buffer' });
  } catch (error) {
    if (isAbsentErrno(error)) return [];
    throw error;
  }
  const renamed: RenamedEntry[] = [];
  for (const bytes of names) {
    const was = bytes.toString('utf8');
    if (Buffer.from(was, 'utf8').equals(bytes) || bytes[0] === 0x2e) continue;
    if (options.only !== undefined && !options.only(bytes)) continue;
    const read = WINDOWS_1252.decode(bytes);
    const ext = extname(read);
    const stem = read.slice(0, read.length - ext.length);
    for (let n = 1; n <= MAX_NAME_TRIES; n++) {
      const now = n === 1 ? read : `${stem} (${n})${ext}`;
      let moved: boolean;
      try {
        moved = await moveNoClobber(Buffer.concat([Buffer.from(`${dir}/`), bytes]), join(dir, now));
      } catch (error) {
        if (isAbsentErrno(error)) break; // taken away meanwhile
        throw error;
      }
      if (moved) {
        renamed.push({ was, now });
        logger?.warn(
          { file: now, was },
          `the name of "${now}" was not UTF-8; renamed so (its bytes read as Windows-1252) to be read`,
        );
        break;
      }
    }
  }
  return renamed;
}
