import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { listEntriesOrEmpty } from '@imk/fs-safe';
import { listQueueNames } from './inspect.ts';
import { HOLDING_STATES } from './job-id-owner.ts';
import {
  ARCHIVE_DIRS,
  CLAIMED_DIR,
  JOB_ID_OWNERS_DIR,
  archivedJobId,
  parseJobIdOwnerName,
  parseReadyName,
  type JobState,
} from './names.ts';

export interface PrunedJobIdOwners {
  /** Owner files removed (or, with dryRun, that would be): names in `queues/.imk-job-ids/`. */
  removed: string[];
  /** Owner files kept: of ids a queue still holds, or of ids with more than one generation. */
  kept: number;
}

/**
 * Removes the owner files (`queues/.imk-job-ids/<id>@<n>`, job-id-owner.ts) of every job id that no queue
 * holds any more: no ready, claimed, succeeded, failed or cancelled folder of it in any queue (the archives
 * of it were removed by retention or by hand; a rejected bundle never ran). Such an owner file decides
 * nothing (the next claim of the id would take the next generation anyway), so it is removed: one file per
 * id ever claimed no longer stays forever. Only an id whose one owner file is `<id>@1` (nearly all: a
 * second generation means the first owner's bundle was rejected or removed and the id published again):
 * a claim running meanwhile can then only have linked `<id>@2`, which takeJobId finds by looking one
 * generation past a `<id>@1` it links afresh. Removing `<id>@1` and `<id>@2` of an id could leave a live
 * `<id>@3` of such a claim behind a gap no claim looks across. `imk cleanup` runs this after removing the
 * archives that expired.
 */
export async function pruneJobIdOwners(
  queuesDir: string,
  options: {
    /** Say what would be removed, remove nothing. */
    dryRun?: boolean;
    /** Job folders taken as gone already (a dry run of a cleanup that would remove them first). */
    gone?: ReadonlySet<string>;
  } = {},
): Promise<PrunedJobIdOwners> {
  const ownersDir = join(queuesDir, JOB_ID_OWNERS_DIR);
  const byId = new Map<string, { name: string; generation: number }[]>();
  for (const name of await readdir(ownersDir).catch(() => [])) {
    const parsed = parseJobIdOwnerName(name);
    if (parsed === undefined) continue;
    const files = byId.get(parsed.jobId) ?? [];
    files.push({ name, generation: parsed.generation });
    byId.set(parsed.jobId, files);
  }
  // Listed after the owner files: an id claimed since is in a queue by now (its bundle is in claimed/
  // before its claim takes the owner file), and is kept.
  const held = byId.size === 0 ? new Set<string>() : await heldJobIds(queuesDir, options.gone);
  const removed: string[] = [];
  let kept = 0;
  for (const [jobId, files] of byId) {
    const [only] = files;
    if (held.has(jobId) || files.length > 1 || only?.generation !== 1) {
      kept += files.length;
      continue;
    }
    if (options.dryRun !== true) await rm(join(ownersDir, only.name), { force: true });
    removed.push(only.name);
  }
  return { removed, kept };
}

/** Where a queue keeps its folders of each state but ready (which are at its top, `job_<id>`). */
const STATE_FOLDERS: Partial<Record<JobState, string>> = { claimed: CLAIMED_DIR, ...ARCHIVE_DIRS };

/** Every job id some queue of `queuesDir` holds (HOLDING_STATES): one listing of each of their folders. */
async function heldJobIds(queuesDir: string, gone?: ReadonlySet<string>): Promise<Set<string>> {
  const held = new Set<string>();
  for (const queue of await listQueueNames(queuesDir))
    for (const state of HOLDING_STATES) {
      const folder = STATE_FOLDERS[state];
      const dir = folder === undefined ? join(queuesDir, queue) : join(queuesDir, queue, folder);
      for (const entry of await listEntriesOrEmpty(dir)) {
        if (!entry.isDirectory() || gone?.has(join(dir, entry.name)) === true) continue;
        const id = folder === undefined ? parseReadyName(entry.name) : archivedJobId(entry.name);
        if (id !== undefined) held.add(id);
      }
    }
  return held;
}
