import { lstat, rmdir, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckResult, DoctorCheck } from '@imk/doctor';
import { errorMessage } from '@imk/errors';
import { listEntriesOrEmpty } from '@imk/fs-safe';
import { loadInboxSettings } from './config.ts';
import { FOLDER_ADVICE, inboxFolders } from './folders.ts';
import { makeStaging } from './staging.ts';

/** Folders dropped into the inbox, which it never reads (an album folder of the earlier version's users). */
export const inboxFoldersCheck: DoctorCheck = {
  id: 'inbox-folders',
  title: 'folders dropped into the inbox',
  group: 'retrievers',
  required: false,
  async run({ paths }): Promise<CheckResult> {
    const settings = await loadInboxSettings(paths.root);
    if ((await stat(settings.dir).catch(() => undefined)) === undefined)
      return {
        status: 'ok',
        summary: `${settings.dir} is made when the inbox starts; drop media files there`,
      };
    const folders = await inboxFolders(settings.dir);
    // Said as what it checks: "no folder in <inbox>" read as if the inbox itself were missing.
    if (folders.length === 0)
      return {
        status: 'ok',
        summary: `${settings.dir} holds no subfolder it would not read (it reads the media files dropped into it)`,
      };
    const named = folders.slice(0, 5).map((name) => `"${name}"`);
    if (folders.length > 5) named.push(`and ${folders.length - 5} more`);
    return {
      status: 'warn',
      summary: `${settings.dir} holds ${folders.length === 1 ? 'a folder' : `${folders.length} folders`} it does not read: ${named.join(', ')}`,
      fix: FOLDER_ADVICE,
    };
  },
};

/**
 * Whether the inbox can take files: its folder can be written (each file is copied into it before it is
 * queued: a share mounted read-only, or one the service may not write, takes nothing) and its disk has room
 * for the largest file waiting there. The running inbox says such a condition once in its log; this is
 * what shows it as degraded on the dashboard and in /readyz (and in imk doctor), until it is fixed.
 */
export const inboxWritableCheck: DoctorCheck = {
  id: 'inbox-writable',
  title: 'inbox folder writable',
  group: 'retrievers',
  required: false,
  async run({ paths }): Promise<CheckResult> {
    const settings = await loadInboxSettings(paths.root);
    if ((await stat(settings.dir).catch(() => undefined)) === undefined)
      return { status: 'ok', summary: `${settings.dir} is made when the inbox starts` };
    try {
      await rmdir(await makeStaging(settings.dir));
    } catch (error) {
      return {
        status: 'fail',
        summary: errorMessage(error),
        fix: `remount the share or disk of ${settings.dir} read-write, give the user imk runs as write access to it, or free space there`,
      };
    }
    const { bavail, bsize } = await statfs(settings.dir);
    const free = bavail * bsize;
    let largest: { name: string; size: number } | undefined;
    for (const entry of await listEntriesOrEmpty(settings.dir)) {
      if (!entry.isFile() || entry.name.startsWith('.')) continue;
      const size = (await lstat(join(settings.dir, entry.name)).catch(() => undefined))?.size ?? 0;
      if (size > (largest?.size ?? 0)) largest = { name: entry.name, size };
    }
    if (largest !== undefined && largest.size > free)
      return {
        status: 'fail',
        summary: `the disk of ${settings.dir} has ${megabytes(free)} free, less than ${largest.name} (${megabytes(largest.size)}) needs: each file is copied into the inbox folder before it is queued, so it stays there`,
        fix: `free space on the disk of ${settings.dir}`,
      };
    return { status: 'ok', summary: `${settings.dir} can be written (${megabytes(free)} free)` };
  },
};

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
