import { ImkError } from '@imk/errors';
import { NOT_REGULAR_FILE, readRegularFileSync } from '@imk/fs-safe';
import './errors.ts';

/** The text of a config file, or undefined when there is none. */
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
    throw error;
  }
}
