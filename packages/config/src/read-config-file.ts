import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ImkError } from '@imk/errors';
import { NOT_REGULAR_FILE, readRegularFileSync } from '@imk/fs-safe';
import './errors.ts';

/** The text of a config file (`<root>/config/<name>.yaml`), or undefined when there is none. */
export function readConfigFile(file: string): string | undefined {
  try {
    return readRegularFileSync(file);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === 'ENOENT') return undefined;
    if (code === NOT_REGULAR_FILE)
      throw new ImkError(
        'CONFIG_INVALID',
        `${(error as Error).message}: a config file must be a plain YAML file; replace it with one, or remove it to use the defaults`,
        { details: { file }, cause: error },
      );
    if (code === 'ENOTDIR') throw notAFolder(file, error);
    throw error;
  }
}

/** The root or its config/ is a file: say which, and what belongs there (not the bare ENOTDIR). */
function notAFolder(file: string, cause: unknown): ImkError {
  const config = dirname(file);
  const root = dirname(config);
  if (!isFolderOrMissing(root))
    return new ImkError(
      'ROOT_NOT_A_FOLDER',
      `the root ${root} (--root, else IMK_ROOT, else the current folder) is a file, not a folder; point --root at the folder that holds (or will hold) config/, queues/, outputs/ and state/`,
      { details: { root }, cause },
    );
  return new ImkError(
    'ROOT_NOT_A_FOLDER',
    `${config} is a file, not a folder: config/ holds the YAML settings (config/<service>.yaml); move the file aside (an empty or missing config/ means the defaults)`,
    { details: { file: config }, cause },
  );
}

function isFolderOrMissing(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch (error) {
    // ENOTDIR: a file further up stands where a folder must be; that is not a folder either.
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
