import type { CheckResult, DoctorCheck } from '@imk/doctor';
import { loadInboxSettings } from './config.ts';
import { FOLDER_ADVICE, inboxFolders } from './folders.ts';

/** Folders dropped into the inbox, which it never reads (an album folder of the earlier version's users). */
export const inboxFoldersCheck: DoctorCheck = {
  id: 'inbox-folders',
  title: 'inbox folders',
  group: 'retrievers',
  required: false,
  async run({ paths }): Promise<CheckResult> {
    const settings = await loadInboxSettings(paths.root);
    const folders = await inboxFolders(settings.dir);
    if (folders.length === 0) return { status: 'ok', summary: `no folder in ${settings.dir}` };
    const named = folders.slice(0, 5).map((name) => `"${name}"`);
    if (folders.length > 5) named.push(`and ${folders.length - 5} more`);
    return {
      status: 'warn',
      summary: `${settings.dir} holds ${folders.length === 1 ? 'a folder' : `${folders.length} folders`} it does not read: ${named.join(', ')}`,
      fix: FOLDER_ADVICE,
    };
  },
};
