import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileSystemNow, listEntriesOrEmpty, pathExists } from '@imk/fs-safe';
import { listQueueNames } from './inspect.ts';
import { HOLDING_STATES, holding, linkNew, ownerText, parseOwner } from './job-id-owner.ts';
import {
  ARCHIVE_DIRS,
  CLAIMED_DIR,
  JOB_ID_OWNERS_DIR,
  archivedJobId,
  isJobIdOwnerTempName,
  jobIdOwnerName,
  parseJobIdOwnerName,
  parseReadyName,
  type JobState,
} from './names.ts';

export interface PrunedJobIdOwners {
  /** Owner files removed (or, with dryRun, that would be): names in `queues/.imk-job-ids/`. */
  removed: string[];
  /**
   * Owner files kept: of ids a queue still holds, or (rarely) of an id a claim took again while this ran.
   */
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
 * of it were removed by retention or by hand; a rejected bundle never ran). Such owner files decide nothing
 * (the next claim of the id would take the next generation anyway), so they go, every generation of the id:
 * one file per id ever claimed, and one more each time it was published again, no longer stays forever.
 *
 * The highest generation goes first, and after each removal the one above it is looked at: a claim that had
 * passed the removed one may have linked it (a claim links, then looks whether the one below is still the
 * file it passed). Then the rest of the id's files stay, so no walk from `<id>@1` meets a gap before that
 * claim's file. A file that is no longer the one listed (another cleanup removed it and a claim linked it
 * afresh) stays too, and the files go back when a queue they name holds the id after all (a claim there
 * since the queues were listed). `imk cleanup` runs this after removing the archives that expired.
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
  const byId = new Map<string, number[]>();
  const names = await readdir(ownersDir).catch(() => [] as string[]);
  const removedTemps = await pruneStaleTemps(ownersDir, names.filter(isJobIdOwnerTempName), options.dryRun);
  for (const name of names) {
    const parsed = parseJobIdOwnerName(name);
    if (parsed === undefined) continue;
    byId.set(parsed.jobId, [...(byId.get(parsed.jobId) ?? []), parsed.generation]);
  }
  // Listed after the owner files: an id claimed since is in a queue by now (its bundle is in claimed/
  // before its claim takes the owner file), and is kept.
  const held = byId.size === 0 ? new Set<string>() : await heldJobIds(queuesDir, options.gone);
  const removed: string[] = [];
  let kept = 0;
  for (const [jobId, generations] of byId) {
    if (held.has(jobId)) {
      kept += generations.length;
      continue;
    }
    const gone =
      options.dryRun === true
        ? generations.map((generation) => jobIdOwnerName(jobId, generation))
        : await removeGenerations(queuesDir, jobId, generations);
    removed.push(...gone);
    kept += generations.length - gone.length;
  }
  return { removed, kept, removedTemps };
}

/**
 * Removes the owner files of `jobId` of the given generations, the highest first; stops (keeping the rest)
 * when one is no longer the file listed, or is no plain file, or when the generation above one just removed
 * exists (a claim that had passed it linked it). Puts them back when a queue they name holds the id after
 * all (below). Returns the names removed.
 */
async function removeGenerations(queuesDir: string, jobId: string, generations: number[]): Promise<string[]> {
  const path = (generation: number): string =>
    join(queuesDir, JOB_ID_OWNERS_DIR, jobIdOwnerName(jobId, generation));
  const descending = [...generations].sort((a, b) => b - a);
  // Read before any goes: a file read again just before its removal must still be the one listed.
  const listed = await Promise.all(descending.map((generation) => ownerText(path(generation))));
  const removed: { generation: number; text: string }[] = [];
  for (const [index, generation] of descending.entries()) {
    const text = listed[index];
    // A folder or a link (ownerText's `\0…`) is no owner file of ours: it stays, and those below it.
    if (text === undefined || text.startsWith('\0') || (await ownerText(path(generation))) !== text) break;
    await rm(path(generation), { force: true });
    removed.push({ generation, text });
    if (await pathExists(path(generation + 1))) break;
  }
  // A claim in a queue an owner file names takes the id as that queue's without linking a file (a retry, a
  // job released): one whose bundle came after the queues were listed, and that read its file before it
  // went, would run with no owner file, and a claim in another queue take <id>@1 beside it. It claimed
  // before it read: looked for after the removals, it is seen, and the files go back, the lowest first.
  for (const queue of new Set(removed.map(({ text }) => parseOwner(text, jobId)?.queue))) {
    if (queue === undefined) continue;
    const dir = join(queuesDir, queue);
    if (((await holding(dir, jobId)) ?? (await holding(dir, jobId))) === undefined) continue;
    const back = new Set<number>();
    for (const { generation, text } of [...removed].reverse()) {
      if (!(await linkNew(path(generation), text))) break;
      back.add(generation);
    }
    return removed
      .filter(({ generation }) => !back.has(generation))
      .map(({ generation }) => jobIdOwnerName(jobId, generation));
  }
  return removed.map(({ generation }) => jobIdOwnerName(jobId, generation));
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
