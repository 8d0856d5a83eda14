import { errorMessage } from '@imk/errors';
import { createLogger } from '@imk/log';
import { resolvePaths } from '@imk/config';
import { loadYoutubeSettings } from './config.ts';
import { startRetrieverHttp } from './http-server.ts';
import { startYoutubeRetriever } from './start.ts';

// Standalone: `node --import tsx services/youtube-retriever/src/main.ts [root]` (IMK_ROOT works too).
// `imk up` runs the same start function inside one process instead.
const root = resolvePaths(process.argv[2]).root;
const logger = createLogger('youtube-retriever');
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort());
try {
  const settings = await loadYoutubeSettings(root);
  if (settings.http.enabled)
    await startRetrieverHttp({
      root,
      logger,
      signal: controller.signal,
      host: settings.http.host,
      port: settings.http.port,
      allowedHosts: settings.http.allowedHosts,
      ...(settings.http.tokenFile !== undefined && { tokenFile: settings.http.tokenFile }),
    });
  await startYoutubeRetriever({ root, logger, signal: controller.signal });
} catch (error) {
  logger.fatal({ err: errorMessage(error) }, 'youtube retriever could not start');
  process.exitCode = 1;
  controller.abort();
}
