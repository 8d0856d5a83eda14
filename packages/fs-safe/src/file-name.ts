import { graphemeCut } from './graphemes.ts';

// Characters NTFS and SMB shares refuse, plus control characters.
// eslint-disable-next-line no-control-regex
const RESERVED = /[<>:"/\\|?*\u0000-\u001f\u007f]/g;
const WINDOWS_RESERVED_NAMES = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
/** RESERVED, to find the first one (not global: no lastIndex kept between calls). */
const RESERVED_CHAR = new RegExp(RESERVED.source);
/** The longest file name (one path component) ext4, XFS, btrfs, NTFS and SMB take, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 255;

/**
 * `text` cut to at most `maxBytes` UTF-8 bytes between grapheme clusters (what a reader sees as one
 * character), unchanged when it fits: a flag 🇯🇵, a family 👨‍👩‍👧, a skin tone or an accent written as
 * e + U+0301 is kept whole or left out whole, never cut into halves that show as other symbols. The one
 * home of cutting a name (sync's routes and conflict names, temp names and inbox names all come here).
 * A single cluster longer than `maxBytes` by itself (hundreds of combining marks) is cut by code point.
 */
export function fitBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const end = graphemeCut(text, maxBytes, (segment) => Buffer.byteLength(segment));
  return end === 0 ? fitCodePoints(text, maxBytes) : text.slice(0, end);
}

function fitCodePoints(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    bytes += Buffer.byteLength(char);
    if (bytes > maxBytes) break;
    end += char.length;
  }
  return text.slice(0, end);
}

/**
 * A file name `stem` + `tail` (a suffix that must stay whole: an extension, " (2)", ".tmp-…"), the stem
 * cut so that the name, and `reserve` bytes more (a leading ".", a companion's ".reason.txt"), fit in
 * MAX_NAME_BYTES.
 */
export function fitName(stem: string, tail: string, reserve = 0): string {
  return `${fitBytes(stem, MAX_NAME_BYTES - reserve - Buffer.byteLength(tail))}${tail}`;
}

/**
 * A file name built from metadata that is safe on ext4, NTFS and SMB shares: reserved characters become
 * "_", no trailing dots or spaces, no reserved device names, at most 255 UTF-8 bytes including `suffix`
 * (cut on a character boundary), and unicode kept.
 */
export function safeFileName(name: string, suffix = '', fallback = 'untitled'): string {
  let base = name.normalize('NFC').replace(RESERVED, '_').replace(/\s+/g, ' ').trim();
  // Leading spaces too: "..  - ." (an artist and a title of dots) became " -", a name starting with a space.
  base = base.replace(/[. ]+$/, '').replace(/^[. ]+/, '');
  // Nothing but the separators and the "_" of replaced characters left: the name says nothing.
  if (/^[-_ ]*$/.test(base)) base = fallback;
  if (WINDOWS_RESERVED_NAMES.test(base)) base = `_${base}`;
  const budget = MAX_NAME_BYTES - Buffer.byteLength(suffix);
  if (Buffer.byteLength(base) > budget) base = fitBytes(base, budget).replace(/[. ]+$/, '');
  return base + suffix;
}

/**
 * Why Windows, and so an SMB share, an NTFS or FAT drive, would refuse `name` as a file or folder name
 * (`it holds ":"`, `it ends in a dot`, `"CON" is a device name there`), or undefined when they take it. The
 * same rules safeFileName applies; for a name that is kept as it is (a job id names its outputs folder)
 * and may meet such a file system: said when creating it fails.
 */
export function windowsNameProblem(name: string): string | undefined {
  const char = RESERVED_CHAR.exec(name)?.[0];
  if (char !== undefined)
    return char.charCodeAt(0) < 0x20 || char === '\u007f'
      ? 'it holds a control character'
      : `it holds "${char}"`;
  if (name.endsWith('.')) return 'it ends in a dot';
  if (name.endsWith(' ')) return 'it ends in a space';
  const device = WINDOWS_RESERVED_NAMES.exec(name)?.[1];
  if (device !== undefined) return `"${device}" is a device name there`;
  return undefined;
}
