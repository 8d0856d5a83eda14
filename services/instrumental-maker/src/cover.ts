import { join, sep } from 'node:path';
import { errorMessage, isImkError } from '@imk/errors';
import type { Logger } from '@imk/log';
import { coverCodec } from '@imk/media';

/**
 * The bundle's cover when it holds a picture, else undefined with a warning for the manifest: a cover that
 * is not an image (a thumbnail download cut short, an HTML error page saved as cover.jpg, the song itself)
 * costs the files their picture, never the job, as a cover_path naming a missing file does. Before, every
 * file's encode failed on it and the job was archived as failed, its song never made.
 */
export async function usableCover(
  bundleDir: string,
  coverPath: string | undefined,
  warnings: string[],
  logger: Logger,
): Promise<string | undefined> {
  if (coverPath === undefined) return undefined;
  const file = join(bundleDir, coverPath);
  try {
    // Held inside the bundle: a folder on its path swapped for a link is refused (a warning, no cover).
    await coverCodec(file, { within: bundleDir });
    return file;
  } catch (error) {
    if (!isImkError(error, 'COVER_UNREADABLE') || isImkError(error.cause, 'ABORTED')) throw error;
    // Named as the bundle names it: the claimed folder is gone once the job is archived.
    const why = errorMessage(error).split(`${bundleDir}${sep}`).join('');
    const warning = `cover_path "${coverPath}" cannot be used (${why}); the outputs have no cover`;
    logger.warn({ file: coverPath }, warning);
    warnings.push(warning);
    return undefined;
  }
}
