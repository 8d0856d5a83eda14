import { defineService } from '@imk/service';
import { InboxConfigSchema, SERVICE_NAME } from './config.ts';
import { startInbox } from './start.ts';

export const inboxService = defineService({
  name: SERVICE_NAME,
  description: 'drop-folder inbox: media files dropped in a folder -> queue other',
  configSchema: InboxConfigSchema,
  start: startInbox,
  doctorChecks: [],
});
