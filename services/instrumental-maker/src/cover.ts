import { join, sep } from 'node:path';
import { ImkError, errorMessage, isImkError, stopCame } from '@imk/errors';
import type { Logger } from '@imk/log';
import { coverCodec } from '@imk/media';
import type { BundleFiles } from './bundle-files.ts';
import './errors.ts';

/** The job's stop signals, as the pipeline has them (PipelineInput). */
export interface CoverStop {
  /** The job's own signal: ends the look at the cover (shutdown after the grace period, a lost claim, a cancel). */
  signal: AbortSignal;
  /** The worker's stop (Ctrl-C, SIGTERM): the job may finish, but a failed look decides nothing then. */
  stopping?: AbortSignal | undefined;
}

/**
 * The bundle's cover when it holds a picture, else undefined with a warning for the manifest: a cover that
 * is not an image (a thumbnail download cut short, an HTML error page saved as cover.jpg, the song itself)
 * costs the files their picture, never the job, as a cover_path naming a missing file does. Before, every
 * file's encode failed on it and the job was archived as failed, its song never made.
 * Once the worker was asked to stop, a look that failed says nothing of the cover: an ffprobe started at the
 * instant of the Ctrl-C is still in imk's process group (from its fork to its setsid) and dies by it. Taken
 * for "not a picture", the job then published its song without its cover within the grace period. Its error
 * is thrown instead: the job is handed back at shutdown (processClaim), its attempt not counted.
 */
export async function usableCover(
  bundle: BundleFiles,
  coverPath: string | undefined,
  warnings: string[],
  logger: Logger,
  stop: CoverStop,
): Promise<string | undefined> {
  if (coverPath === undefined) return undefined;
  const bundleDir = bundle.dir;
  const file = join(bundleDir, coverPath);
  try {
    // Read from the descriptor opened when the job started (as every encode embeds it), else by name held
    // inside the bundle: that says why it could not be opened (a link, a FIFO, missing).
    await coverCodec(file, { within: bundle, signal: stop.signal });
    // Not opened at the start but readable now: it changed since; embedding it would read it by name again.
    if (!bundle.opened.has(file)) throw coverChanged(file, bundle.failed.get(file));
    return file;
  } catch (error) {
    if (!isImkError(error, 'COVER_UNREADABLE') || stopCame(stop.signal, error) || stopCame(stop.stopping))
      throw error;
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
