import { errorMessage } from '@imk/errors';
import type { Logger } from '@imk/log';
import { createUrlRequestFolder } from '@imk/retriever-sdk';
import { SERVICE_NAME, loadYoutubeSettings, type YoutubeConfig } from './config.ts';
import { fetchYoutube } from './fetch-youtube.ts';
import { serveSubscriptions } from './subscriptions.ts';
import { resolveYtDlp } from './yt-dlp.ts';

const SUBSCRIPTION_TICK_MS = 30_000;

export interface StartYoutubeRetrieverOptions {
  /** Folder holding queues/, config/, state/ and (by default) requests/youtube/. */
  root: string;
  logger: Logger;
  /** Stops the service; the returned promise resolves once the request in progress has ended. */
  signal: AbortSignal;
  /** Settings that win over config/youtube-retriever.yaml (tests, `imk up` flags). */
  overrides?: Partial<YoutubeConfig>;
}

/**
 * Runs the YouTube retriever until `signal` aborts: polls the requests folder (default
 * `<root>/requests/youtube`) for `.txt` files of URLs and fetches them, and runs the subscriptions.
 */
export async function startYoutubeRetriever(options: StartYoutubeRetrieverOptions): Promise<void> {
  const settings = await loadYoutubeSettings(options.root, options.overrides);
  const logger = options.logger.child({ component: SERVICE_NAME });
  try {
    await resolveYtDlp(settings.ytDlpPath);
  } catch (error) {
    // Keep running: each request will fail with this same clear reason until yt-dlp is installed.
    logger.error({ err: errorMessage(error) }, 'yt-dlp is missing; requests will fail until it is installed');
  }
  const folder = createUrlRequestFolder({
    dir: settings.requestsDir,
    extensions: ['.txt'],
    logger,
    fetch: (url, mode, signal) => fetchYoutube(url, { root: settings.root, mode, logger, signal, settings }),
  });
  await Promise.all([
    folder.serve({
      intervalMs: settings.pollIntervalMs,
      signal: options.signal,
      gracePeriodMs: settings.gracePeriodMs,
    }),
    // Subscriptions (config and dashboard) are looked at twice a minute; each runs when its `every` is up.
    serveSubscriptions({ settings, logger, signal: options.signal, tickMs: SUBSCRIPTION_TICK_MS }),
  ]);
  logger.info('youtube retriever stopped');
}
