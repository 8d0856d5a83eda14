import { lstat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { RenameLogger } from '@imk/fs-safe';
import { JOB_FILE } from '@imk/protocol';
import { ARCHIVE_DIRS, CLAIMED_DIR, READY_PREFIX } from './names.ts';

/** The queue's own sub-folders: never a bundle. */
const STATE_DIRS: ReadonlySet<string> = new Set([CLAIMED_DIR, ...Object.values(ARCHIVE_DIRS)]);

/**
 * Folders at the top of a queue that hold a job.json but are not named `job_<id>` (`My Song/`, `Job_x/`,
 * `JOB_x/`: a bundle made or renamed by hand): no consumer takes them (the protocol's rule, which keeps a
 * queue folder's other entries out), and before, nothing said so: the job sat there for ever. Each is said
 * once in the log, naming the folder and the name to give it; nothing is moved.
 */
export class StrayBundles {
  private readonly told = new Set<string>();

  constructor(
    private readonly queueDir: string,
    private readonly logger?: RenameLogger,
  ) {}

  /** Looks at the names of one listing of the queue folder. */
  async look(names: readonly string[]): Promise<void> {
    const present = new Set(names);
    for (const name of this.told) if (!present.has(name)) this.told.delete(name);
    if (this.logger === undefined) return;
    for (const name of names) {
      if (
        name.startsWith(READY_PREFIX) ||
        name.startsWith('.') ||
        STATE_DIRS.has(name) ||
        this.told.has(name)
      )
        continue;
      const dir = join(this.queueDir, name);
      if (!(await lstat(dir).catch(() => undefined))?.isDirectory()) continue;
      if (!(await lstat(join(dir, JOB_FILE)).catch(() => undefined))) continue;
      this.told.add(name);
      this.logger.warn(
        { dir },
        `${basename(this.queueDir)}/${name} holds a ${JOB_FILE} but is not named ${READY_PREFIX}<id>, so no worker takes it: rename it ${READY_PREFIX}<its job_id> (lower case "${READY_PREFIX}") to run it`,
      );
    }
  }
}
