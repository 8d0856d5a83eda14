import { defineService } from '@imk/service';
import { InboxConfigSchema, SERVICE_NAME } from './config.ts';
import { inboxFoldersCheck, inboxWritableCheck } from './doctor-checks.ts';
import type { StartInboxOptions } from './start.ts';

/** The inbox's code, loaded only when it runs (doctor and the config reference need only the schema). */
const code = () => import('./start.ts');

export const inboxService = defineService({
  name: SERVICE_NAME,
  description: 'drop-folder inbox: media files dropped in a folder -> queue other',
  configSchema: InboxConfigSchema,
  load: code,
  start: async (options: StartInboxOptions) => (await code()).startInbox(options),
  doctorChecks: [inboxFoldersCheck, inboxWritableCheck],
  // A folder in the inbox is the user's to move; the inbox itself works (doctor warns, the log says it once).
  // A folder it cannot write (read-only, no rights, full) takes nothing: degraded until it is fixed.
  healthChecks: [inboxWritableCheck],
});
