import { errorMessage } from '@imk/errors';
import type { Logger } from '@imk/log';
import { createUrlRequestFolder } from '@imk/retriever-sdk';
import { findArl } from './arl.ts';
import { SERVICE_NAME, loadDeemixSettings, type DeemixConfig } from './config.ts';
import { fetchDeezer } from './fetch-deezer.ts';
import { resolveDeemix } from './run-deemix.ts';

export interface StartDeemixRetrieverOptions {
  /** Folder holding queues/, config/, state/ and (by default) requests/deezer/. */
  root: string;
  logger: Logger;
  /** Stops the service; the returned promise resolves once the request in progress has ended. */
  signal: AbortSignal;
  overrides?: Partial<DeemixConfig>;
}

/** Runs the Deezer retriever until `signal` aborts: polls the requests folder for `.deezer` files. */
export async function startDeemixRetriever(options: StartDeemixRetrieverOptions): Promise<void> {
  const settings = await loadDeemixSettings(options.root, options.overrides);
  const logger = options.logger.child({ component: SERVICE_NAME });
  // deemix and an ARL matter only to a Deezer link: a user who never sends one is not told on every start
  // that they are missing (that was an error line each time). A .deezer request then fails with the reason
  // and what to do (its .fail.reason, and the request folder's log line), and `imk doctor` checks both.
  const missing = await missingPieces(settings);
  if (missing.length > 0)
    logger.debug({ missing }, 'Deezer links cannot be fetched yet; a .deezer request will say why');
  const folder = createUrlRequestFolder({
    dir: settings.requestsDir,
    extensions: ['.deezer'],
    logger,
    fetch: (url, _mode, signal) => fetchDeezer(url, { root: settings.root, logger, signal, settings }),
  });
  await folder.serve({
    intervalMs: settings.pollIntervalMs,
    signal: options.signal,
    gracePeriodMs: settings.gracePeriodMs,
  });
  logger.info('deemix retriever stopped');
}

/** What a Deezer fetch would lack (deemix, an ARL), in words; empty when both are there. */
async function missingPieces(settings: DeemixConfig): Promise<string[]> {
  const missing: string[] = [];
  await resolveDeemix(settings.deemixPath).catch((error: unknown) => missing.push(errorMessage(error)));
  await findArl(settings.arlFile)
    .then((found) => {
      if (!found) missing.push('no Deezer ARL configured (IMK_DEEMIX_ARL, DEEZER_ARL or arlFile)');
    })
    .catch((error: unknown) => missing.push(`Deezer ARL unusable: ${errorMessage(error)}`));
  return missing;
}
