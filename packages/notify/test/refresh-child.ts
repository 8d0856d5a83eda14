// A separate process that runs one media-server refresh pass (a host of its own, e.g. with its clock off
// the file server's through clockOffsetEnv).
import { createLogger } from '@imk/log';
import { runRefreshes } from '../src/media/run-refreshes.ts';
import { MediaServerSchema } from '../src/media/schema.ts';

const { stateDir, name, server, delivered, owedRetryMs } = JSON.parse(process.argv[2] ?? '{}') as {
  stateDir: string;
  name: string;
  server: unknown;
  delivered: string[];
  owedRetryMs?: number;
};
await runRefreshes({
  servers: { [name]: MediaServerSchema.parse(server) },
  delivered: new Map([[name, delivered]]),
  stateDir,
  logger: createLogger('refresh-child', { level: 'silent' }),
  firstDelayMs: 1,
  ...(owedRetryMs !== undefined && { owedRetryMs }),
});
