import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { ImkError } from '@imk/errors';

/** What a file that is not a regular file is, for the error message. */
function kindOf(stats: ReturnType<typeof fstatSync>): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * The text of a config file, or undefined when there is none. Opened without blocking and checked with
 * fstat before anything is read: reading a named pipe or a device waits forever for a writer, which
 * would hang every service and `imk doctor` at start-up without a word. A link to a regular file is
 * fine (config files are often links, e.g. mounted secrets or ConfigMaps).
 */
export function readConfigFile(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile())
      throw new ImkError(
        'CONFIG_INVALID',
        `${file} is ${kindOf(stats)}, not a regular file: a config file must be a plain YAML file; replace it with one, or remove it to use the defaults`,
        { details: { file } },
      );
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
