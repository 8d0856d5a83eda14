import { defineService } from '@imk/service';
import { InboxConfigSchema, SERVICE_NAME } from './config.ts';
import type { StartInboxOptions } from './start.ts';

export const inboxService = defineService({
  name: SERVICE_NAME,
  description: 'drop-folder inbox: media files dropped in a folder -> queue other',
  configSchema: InboxConfigSchema,
  // Loaded only when it runs (doctor and the config reference need only the schema).
  start: async (options: StartInboxOptions) => (await import('./start.ts')).startInbox(options),
  doctorChecks: [],
});
