import { resolvePaths } from '@imk/config';
import { errorMessage } from '@imk/errors';
import { createLogger } from '@imk/log';
import { startDeemixRetriever } from './start.ts';

// Standalone: `node --import tsx services/deemix-retriever/src/main.ts [root]`; `imk up` runs it in-process.
const root = resolvePaths(process.argv[2]).root;
const logger = createLogger('deemix-retriever');
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort());
try {
  await startDeemixRetriever({ root, logger, signal: controller.signal });
} catch (error) {
  logger.fatal({ err: errorMessage(error) }, 'deemix retriever could not start');
  process.exitCode = 1;
}
