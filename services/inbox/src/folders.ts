// Folders dropped into the inbox, which it never reads: named by the running inbox and by `imk doctor`
// (a light module: doctor loads no inbox code).
import { listEntriesOrEmpty } from '@imk/fs-safe';
import { isHousekeepingName } from '@imk/retriever-sdk/housekeeping';

/**
 * The folders dropped into the inbox (hidden ones, `.processed/` and `.rejected/`, are its own; a NAS's
 * housekeeping, such as Synology's @eaDir, is no one's drop). The inbox
 * takes files: a folder (an album, as the earlier version's ALBUMS_ENABLED read them) is never read.
 */
export async function inboxFolders(dir: string): Promise<string[]> {
  const entries = await listEntriesOrEmpty(dir);
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && !isHousekeepingName(entry.name))
    .map((entry) => entry.name)
    .sort();
}

/** What to do with a folder in the inbox, for the log and `imk doctor`. */
export const FOLDER_ADVICE =
  'the inbox takes media files, not folders: move the songs out of the folder into the inbox itself (each becomes its own job, its album tag read from the file), or send an album as a Deezer album link';
