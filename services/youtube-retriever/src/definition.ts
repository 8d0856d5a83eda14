import type { UrlRetriever } from '@imk/retriever-sdk';
import { defineService } from '@imk/service';
import { SERVICE_NAME, YoutubeConfigSchema, loadYoutubeSettings } from './config.ts';
import { doctorChecks } from './doctor-checks.ts';
import type { StartYoutubeRetrieverOptions } from './start.ts';
// The service's error codes and their policy, known to whatever loads the definition (`imk retry`, the
// dashboard's Retry: retryAdviceOf), not only once its code runs.
import './errors.ts';

export interface YoutubeServiceOptions extends StartYoutubeRetrieverOptions {
  /** Also serve POST /api/requests when `http.enabled` (`imk run youtube-retriever`; `imk up` mounts the routes in web). */
  serveHttp?: boolean;
  /** The URL retrievers the HTTP API serves (composed by the CLI). @default YouTube only */
  retrievers?: readonly UrlRetriever[];
}

/** The retriever's code and its HTTP API's, loaded only when it runs: doctor needs only the schema and checks. */
const code = () => Promise.all([import('./start.ts'), import('./http-server.ts')]);

async function startYoutubeService(options: YoutubeServiceOptions): Promise<void> {
  const [{ startYoutubeRetriever }, { startRetrieverHttp }] = await code();
  if (options.serveHttp) {
    const { http } = await loadYoutubeSettings(options.root, options.overrides);
    if (http.enabled)
      await startRetrieverHttp({
        root: options.root,
        logger: options.logger,
        signal: options.signal,
        host: http.host,
        port: http.port,
        allowedHosts: http.allowedHosts,
        ...(http.tokenFile !== undefined && { tokenFile: http.tokenFile }),
        ...(options.retrievers !== undefined && { retrievers: options.retrievers }),
      });
  }
  await startYoutubeRetriever(options);
}

export const youtubeRetrieverService = defineService({
  name: SERVICE_NAME,
  description:
    'YouTube (and any yt-dlp site): request files and the HTTP API -> queues youtube_audio/youtube_video',
  configSchema: YoutubeConfigSchema,
  load: code,
  start: startYoutubeService,
  doctorChecks,
});
