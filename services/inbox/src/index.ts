export { startInbox } from './start.ts';
export type { StartInboxOptions } from './start.ts';
export { createInbox, FOLDER_ADVICE, inboxFolders, PROCESSED_DIR, REJECTED_DIR } from './inbox.ts';
export { inboxFoldersCheck } from './doctor-checks.ts';
export type { Inbox, InboxOutcome } from './inbox.ts';
export { InboxConfigSchema, loadInboxSettings, MEDIA_EXTENSIONS, SERVICE_NAME } from './config.ts';
export type { InboxConfig, InboxSettings } from './config.ts';
export { parseFileName, tagsFor } from './file-tags.ts';
export { inboxService as service, inboxService } from './definition.ts';
