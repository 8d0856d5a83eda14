import { resolvePaths } from '@imk/config';
import { errorMessage } from '@imk/errors';
import { createLogger } from '@imk/log';
import { startInbox } from './start.ts';

// Standalone: `node --import tsx services/inbox/src/main.ts [root]`; `imk up` runs it in-process.
const root = resolvePaths(process.argv[2]).root;
const logger = createLogger('inbox');
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort());
try {
  await startInbox({ root, logger, signal: controller.signal });
} catch (error) {
  logger.fatal({ err: errorMessage(error) }, 'inbox could not start');
  process.exitCode = 1;
}
