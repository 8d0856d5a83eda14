import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { errorMessage } from '@imk/errors';
import type { DataFolder, ImkPaths } from './paths.ts';

/** Where a placed data folder is set, for messages. */
const SETTING: Record<DataFolder, string> = {
  queues: 'config/paths.yaml: queues, or IMK_PATHS__QUEUES',
  outputs: 'config/paths.yaml: outputs, or IMK_PATHS__OUTPUTS',
};

/**
 * What is wrong with a data folder, or undefined when it can be used; creates nothing (for /readyz and
 * checks). A folder of the default layout that does not exist yet is fine: the services make it on
 * their first start. A folder config/paths.yaml places elsewhere must exist: it is usually a share, and
 * a missing one is most often a share that is not mounted.
 */
export async function dataFolderProblem(paths: ImkPaths, which: DataFolder): Promise<string | undefined> {
  const dir = paths[which];
  let isFolder: boolean;
  try {
    isFolder = (await stat(dir)).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      return `the ${which} folder ${dir}: ${errorMessage(error)}`;
    return paths.placed?.[which] ? missingPlaced(paths, which) : undefined;
  }
  if (!isFolder) return `the ${which} folder ${dir} is not a folder`;
  try {
    await access(dir, constants.W_OK);
    return undefined;
  } catch (error) {
    return `the ${which} folder ${dir} is not writable: ${errorMessage(error)}`;
  }
}

function missingPlaced(paths: ImkPaths, which: DataFolder): string {
  const dir = paths[which];
  return `the ${which} folder ${dir} (set by ${SETTING[which]}) does not exist; nothing is created there, as it may be a share that is not mounted (files would land on the local disk under the mount point). Mount the share, or create the folder (mkdir -p '${dir}') if this is its first use`;
}
