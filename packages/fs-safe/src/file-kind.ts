import type { Stats } from 'node:fs';

/** What describeKind looks at: an fs.Stats, or a Dirent of a listing (`readdir` withFileTypes). */
export type FileKindInfo = Pick<
  Stats,
  'isFile' | 'isDirectory' | 'isSymbolicLink' | 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice'
>;

/**
 * What kind of thing a file is, for a message ("is a FIFO (named pipe), not a regular file"): the one
 * spelling of every refusal fs-safe makes, whether the file came from someone else (untrusted.ts) or
 * the user's own configuration names it (regular-file.ts).
 */
export function describeKind(info: FileKindInfo): string {
  if (info.isFile()) return 'a regular file';
  if (info.isDirectory()) return 'a folder';
  if (info.isSymbolicLink()) return 'a symbolic link';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}
