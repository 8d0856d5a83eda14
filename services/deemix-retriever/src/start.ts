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
  // Missing pieces are reported now, but the service keeps running: each request fails with the same reason.
  await resolveDeemix(settings.deemixPath).catch((error: unknown) =>
    logger.error({ err: errorMessage(error) }, 'deemix is missing'),
  );
  await findArl(settings.arlFile)
    .then((found) => {
      if (!found)
        logger.error(
          'no Deezer ARL configured (IMK_DEEMIX_ARL, DEEZER_ARL or arlFile); .deezer requests will fail',
        );
    })
    .catch((error: unknown) => logger.error({ err: errorMessage(error) }, 'Deezer ARL unusable'));
  const folder = createUrlRequestFolder({
    dir: settings.requestsDir,
    extensions: ['.deezer'],
    logger,
    fetch: (url, _mode, signal) => fetchDeezer(url, { root: settings.root, logger, signal, settings }),
  });
  await folder.serve({ intervalMs: settings.pollIntervalMs, signal: options.signal });
  logger.info('deemix retriever stopped');
}
