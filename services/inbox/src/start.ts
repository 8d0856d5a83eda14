import { mkdir } from 'node:fs/promises';
import type { Logger } from '@imk/log';
import { runPollLoop } from '@imk/retriever-sdk';
import { loadInboxSettings, type InboxConfig } from './config.ts';
import { createInbox } from './inbox.ts';

export interface StartInboxOptions {
  /** Folder holding queues/, config/ and (by default) inbox/. */
  root: string;
  logger: Logger;
  /** Stops the service; the returned promise resolves once the file in progress has been handled. */
  signal: AbortSignal;
  overrides?: Partial<InboxConfig>;
}

/** Watches the inbox folder (polling is the truth; a watcher only wakes it early) until `signal` aborts. */
export async function startInbox(options: StartInboxOptions): Promise<void> {
  const settings = await loadInboxSettings(options.root, options.overrides);
  const inbox = createInbox(settings, options.logger);
  await mkdir(settings.dir, { recursive: true });
  options.logger.info({ inbox: settings.dir, queue: settings.queue }, 'inbox started');
  await runPollLoop({
    tick: async () => {
      await inbox.scan(options.signal);
    },
    intervalMs: settings.pollIntervalMs,
    signal: options.signal,
    logger: options.logger,
    watchDir: settings.dir,
  });
  options.logger.info('inbox stopped');
}
