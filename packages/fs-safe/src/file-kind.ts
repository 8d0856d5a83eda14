import type { Stats } from 'node:fs';

/**
 * What kind of thing a file is, for a message ("is a FIFO (named pipe), not a regular file"): the one
 * spelling of every refusal fs-safe makes, whether the file came from someone else (untrusted.ts) or
 * the user's own configuration names it (regular-file.ts).
 */
export function describeKind(info: Stats): string {
  if (info.isFile()) return 'a regular file';
  if (info.isDirectory()) return 'a folder';
  if (info.isSymbolicLink()) return 'a symbolic link';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}
