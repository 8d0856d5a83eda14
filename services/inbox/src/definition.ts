import { defineService } from '@imk/service';
import { InboxConfigSchema, SERVICE_NAME } from './config.ts';
import type { StartInboxOptions } from './start.ts';

/** The inbox's code, loaded only when it runs (doctor and the config reference need only the schema). */
const code = () => import('./start.ts');

export const inboxService = defineService({
  name: SERVICE_NAME,
  description: 'drop-folder inbox: media files dropped in a folder -> queue other',
  configSchema: InboxConfigSchema,
  load: code,
  start: async (options: StartInboxOptions) => (await code()).startInbox(options),
  doctorChecks: [],
});
