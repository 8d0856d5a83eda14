import { join, sep } from 'node:path';
import { ImkError, errorMessage, isImkError } from '@imk/errors';
import type { Logger } from '@imk/log';
import { coverCodec } from '@imk/media';
import type { BundleFiles } from './bundle-files.ts';
import './errors.ts';

/**
 * The bundle's cover when it holds a picture, else undefined with a warning for the manifest: a cover that
 * is not an image (a thumbnail download cut short, an HTML error page saved as cover.jpg, the song itself)
 * costs the files their picture, never the job, as a cover_path naming a missing file does. Before, every
 * file's encode failed on it and the job was archived as failed, its song never made.
 */
export async function usableCover(
  bundle: BundleFiles,
  coverPath: string | undefined,
  warnings: string[],
  logger: Logger,
): Promise<string | undefined> {
  if (coverPath === undefined) return undefined;
  const bundleDir = bundle.dir;
  const file = join(bundleDir, coverPath);
  try {
    // Read from the descriptor opened when the job started (as every encode embeds it), else by name held
    // inside the bundle: that says why it could not be opened (a link, a FIFO, missing).
    await coverCodec(file, { within: bundle });
    // Not opened at the start but readable now: it changed since; embedding it would read it by name again.
    if (!bundle.opened.has(file)) throw coverChanged(file, bundle.failed.get(file));
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

/** A cover that could not be opened when the job started, readable by name later: not embedded. */
function coverChanged(file: string, cause: unknown): ImkError {
  return new ImkError(
    'COVER_UNREADABLE',
    `cover image ${file} changed while the job started (${errorMessage(cause)})`,
    { cause, details: { file } },
  );
}
