// A separate process that drains one outbox once, so a test can kill it mid-send (a crash, a power cut).
import { createLogger } from '@imk/log';
import { NotifyConfigSchema } from '../src/config.ts';
import { createNotifier } from '../src/notifier.ts';

const { stateDir, config } = JSON.parse(process.argv[2] ?? '{}') as { stateDir: string; config: unknown };
const notifier = createNotifier({
  stateDir,
  config: NotifyConfigSchema.parse(config),
  logger: createLogger('drain-child', { level: 'silent' }),
});
await notifier.drain();
