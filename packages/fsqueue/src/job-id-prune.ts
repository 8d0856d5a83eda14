import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileSystemNow, listEntriesOrEmpty } from '@imk/fs-safe';
import { listQueueNames } from './inspect.ts';
import { HOLDING_STATES } from './job-id-owner.ts';
import {
  ARCHIVE_DIRS,
  CLAIMED_DIR,
  JOB_ID_OWNERS_DIR,
  archivedJobId,
  isJobIdOwnerTempName,
  parseJobIdOwnerName,
  parseReadyName,
  type JobState,
} from './names.ts';

export interface PrunedJobIdOwners {
  /** Owner files removed (or, with dryRun, that would be): names in `queues/.imk-job-ids/`. */
  removed: string[];
  /** Owner files kept: of ids a queue still holds, or of ids with more than one generation. */
  kept: number;
  /**
   * Temp files of owner files (`.new-<pid>-<random>`) a claim left when its process died between writing and
   * linking: removed (or, with dryRun, that would be) once older than STALE_OWNER_TEMP_MS.
   */
  removedTemps: string[];
}

/**
 * A claim writes an owner file's temp file and links it within moments; one an hour old belongs to no claim
 * still running (its process died between the two: a crash, a kill, a power cut).
 */
export const STALE_OWNER_TEMP_MS = 60 * 60 * 1000;

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
  const names = await readdir(ownersDir).catch(() => [] as string[]);
  const removedTemps = await pruneStaleTemps(ownersDir, names.filter(isJobIdOwnerTempName), options.dryRun);
  for (const name of names) {
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
  return { removed, kept, removedTemps };
}

/** Removes the temp files among `names` older than STALE_OWNER_TEMP_MS, by the file system's own clock. */
async function pruneStaleTemps(dir: string, names: string[], dryRun: boolean | undefined): Promise<string[]> {
  if (names.length === 0) return [];
  // The share's clock, not this host's: another host's claim wrote the file (fs-safe fileSystemNow).
  const now = await fileSystemNow(dir).catch(() => Date.now());
  const stale: string[] = [];
  for (const name of names) {
    const info = await lstat(join(dir, name)).catch(() => undefined);
    if (!info?.isFile() || now - info.mtimeMs < STALE_OWNER_TEMP_MS) continue;
    if (dryRun !== true) await rm(join(dir, name), { force: true });
    stale.push(name);
  }
  return stale;
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
