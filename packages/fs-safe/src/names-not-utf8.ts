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

/** An entry whose name is not UTF-8, as {@link listNamesNotUtf8} finds it. */
export interface NameNotUtf8 {
  /** The name's bytes, which open it (`Buffer.concat([Buffer.from(dir + '/'), bytes])`). */
  bytes: Buffer;
  /** The name with each byte that is not UTF-8 written `\xE9`: readable, and says which bytes they are. */
  shown: string;
  /** The same bytes read as Windows-1252 (Latin-1), what they most likely meant: `Café`. */
  read: string;
  /** Whether it is a folder (not a link to one). */
  isDirectory: boolean;
}

/**
 * The name written readably: UTF-8 where its bytes are, and each byte that is not as `\xE9`, so a message
 * names the entry without U+FFFD (which says neither which name nor which bytes).
 */
export function showName(bytes: Buffer): string {
  let shown = '';
  let i = 0;
  while (i < bytes.length) {
    const length = utf8Length(bytes, i);
    if (length === 0) {
      shown += `\\x${bytes[i]!.toString(16).toUpperCase().padStart(2, '0')}`;
      i++;
    } else {
      shown += bytes.toString('utf8', i, i + length);
      i += length;
    }
  }
  return shown;
}

/** The length of the well-formed UTF-8 sequence at `i`, or 0 when there is none. */
function utf8Length(bytes: Buffer, i: number): number {
  const lead = bytes[i]!;
  const length =
    lead < 0x80
      ? 1
      : lead >= 0xc2 && lead < 0xe0
        ? 2
        : lead >= 0xe0 && lead < 0xf0
          ? 3
          : lead >= 0xf0 && lead < 0xf5
            ? 4
            : 0;
  if (length <= 1 || i + length > bytes.length) return length > 1 ? 0 : length;
  const slice = bytes.subarray(i, i + length);
  // Overlong forms, surrogates and continuation bytes that are not: a round trip through a string says.
  return Buffer.from(slice.toString('utf8'), 'utf8').equals(slice) ? length : 0;
}

/**
 * The entries of `dir` whose names are not UTF-8 (hidden ones left out), with their bytes and their names
 * written readably; none when `dir` is not there. For a folder whose entries are published and so are
 * not renamed (outputs/): the reader says each, where renameNamesNotUtf8 renames those of a drop folder.
 */
export async function listNamesNotUtf8(dir: string): Promise<NameNotUtf8[]> {
  let entries;
  try {
    entries = await readdir(dir, { encoding: 'buffer', withFileTypes: true });
  } catch (error) {
    if (isAbsentErrno(error)) return [];
    throw error;
  }
  const found: NameNotUtf8[] = [];
  for (const entry of entries) {
    const bytes = entry.name;
    if (bytes[0] === 0x2e || Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes)) continue;
    found.push({
      bytes,
      shown: showName(bytes),
      read: WINDOWS_1252.decode(bytes),
      isDirectory: entry.isDirectory(),
    });
  }
  return found;
}
