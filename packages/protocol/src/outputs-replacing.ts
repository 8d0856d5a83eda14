import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MANIFEST_FILE, partialJobId } from './outputs-layout.ts';
import { readOutputManifest, type ReadOutputResult } from './outputs.ts';

/**
 * How long, at most, a reader of one job waits for `outputs/<job_id>/` to be back while a worker replaces
 * it (isBeingReplaced): two renames, a moment on a local disk, longer on a share or a host under load.
 */
export const REPLACE_WAIT_MS = 3000;

/** Between two looks while a job's folder is being replaced. */
const LOOK_AGAIN_MS = 20;

/** What outputs/<job_id>/ is, for a reader that found nothing in it. */
type ReplaceState = 'there' | 'being-replaced' | 'absent';

/**
 * The jobs (`only`, or every job) a partial folder of which holds its manifest.json: each about to take its
 * job folder's name.
 */
async function readyPartials(outputsDir: string, only?: string): Promise<Set<string>> {
  const names = await readdir(outputsDir).catch((): string[] => []);
  const ready = new Set<string>();
  await Promise.all(
    names.map(async (name) => {
      // Exactly this job's: job x.partial-y's partial folder (.x.partial-y.partial-<consumer>) is not x's.
      const jobId = partialJobId(name);
      if (jobId === undefined || (only !== undefined && jobId !== only)) return;
      // manifest.json is written into the partial folder last, right before the two renames: a partial
      // folder without one is a job still being made (minutes), not a folder about to be back.
      const manifest = await lstat(join(outputsDir, name, MANIFEST_FILE)).catch(() => undefined);
      if (manifest?.isFile()) ready.add(jobId);
    }),
  );
  return ready;
}

/** What outputs/<job_id>/ is, looked at after the partial folders (`ready`, readyPartials). */
async function stateAfter(outputsDir: string, jobId: string, ready: Set<string>): Promise<ReplaceState> {
  if ((await lstat(join(outputsDir, jobId)).catch(() => undefined)) !== undefined) return 'there';
  return ready.has(jobId) ? 'being-replaced' : 'absent';
}

async function replaceState(outputsDir: string, jobId: string): Promise<ReplaceState> {
  // The partial folder first, then the job's folder: the second rename takes one name away as it gives the
  // other, so a rename between the two looks is seen by the second. The other way round, a reader that
  // found no job folder and then no partial folder (renamed in between) took the job for one without
  // outputs.
  return stateAfter(outputsDir, jobId, await readyPartials(outputsDir, jobId));
}

/**
 * Whether `outputs/<job_id>/` is not there because a worker is replacing it: a re-run or a saved mix moves
 * the earlier folder to `.replaced/` and then renames its partial folder, manifest.json inside, to
 * `outputs/<job_id>/` (no rename swaps two folders), so between the two renames the job's folder does not
 * exist. Said by a partial folder of the job (`.<job_id>.partial-<consumer>`) that holds a manifest.json
 * while `outputs/<job_id>/` is absent; a worker stopped between the renames leaves it so until the job runs
 * again.
 */
export async function isBeingReplaced(outputsDir: string, jobId: string): Promise<boolean> {
  return (await replaceState(outputsDir, jobId)) === 'being-replaced';
}

export interface ReadThroughReplaceOptions {
  /** How long to wait, at most, for the folder to be back; REPLACE_WAIT_MS unless said. */
  maxWaitMs?: number;
}

/**
 * outputs/<job_id>/ as lstat saw it: a folder moved aside and another renamed into its place is another
 * inode, and a folder renamed at all has a new ctime (the same folder moved away and back, too; a file
 * added to it or removed from it too). Undefined when nothing is there. Two looks that differ: the job's
 * folder was replaced (published again) or changed in between.
 */
export async function jobFolderIdentity(outputsDir: string, jobId: string): Promise<string | undefined> {
  const info = await lstat(join(outputsDir, jobId), { bigint: true }).catch(() => undefined);
  return info && `${info.dev}:${info.ino}:${info.ctimeNs}`;
}

/**
 * Reads `outputs/<job_id>/` with `read` (undefined: nothing there, as readOutputManifest says of a folder
 * that is not there), and when it finds nothing while the folder was being replaced, reads again, waiting
 * at most `maxWaitMs`: a reader of one job then sees its earlier outputs or its new ones, never "no
 * outputs" (the dashboard's mixer said "cannot mix", its player got a 404) for the moment between the
 * worker's two renames (isBeingReplaced), nor for a read that began in one folder and ended in the next.
 * Nothing found is the answer when the folder is not being replaced and was the same folder, not moved,
 * from before the read to after it (a folder without the file asked for, or without a manifest yet): two
 * looks at the folder more than the read, no listing of outputs/, no wait.
 */
export async function readThroughReplace<T>(
  outputsDir: string,
  jobId: string,
  read: () => Promise<T | undefined>,
  options: ReadThroughReplaceOptions = {},
): Promise<T | undefined> {
  const deadline = Date.now() + (options.maxWaitMs ?? REPLACE_WAIT_MS);
  for (;;) {
    const before = await jobFolderIdentity(outputsDir, jobId);
    const found = await read();
    if (found !== undefined) return found;
    // The same folder, unmoved, from before the read to after it: what the read found is what is there.
    if (before !== undefined && before === (await jobFolderIdentity(outputsDir, jobId))) return undefined;
    const state = await replaceState(outputsDir, jobId);
    if (state === 'absent' || Date.now() >= deadline) return undefined;
    // Replaced during the read (it may have looked between the renames, or in the folder moved aside): read
    // the one there now; outputs published again at once are waited for as this one was. Between the two
    // renames, after a moment.
    if (state === 'being-replaced') await sleep(LOOK_AGAIN_MS);
  }
}

/** What readListedThroughReplace found: the jobs read, and those still being replaced when the wait ended. */
export interface ListedThroughReplace<T> {
  /** In the order of the job ids asked about, whichever read ended first. */
  found: T[];
  /**
   * Jobs whose folder is being replaced and was not back within the wait (a worker stopped between its two
   * renames): not there to read, yet not gone either (the job's new outputs wait in its partial folder).
   */
  replacing: string[];
}

/**
 * For a listing of outputs/ (scanOutputFolders): reads again, with `read`, the jobs it saw a name of but no
 * finished folder, either a job folder with nothing to read in it (moved aside since it was listed) or a
 * partial folder of a job whose folder was not listed (moved aside before), and gives those whose folder is
 * being replaced once it is back (readThroughReplace, every job's wait at once). Without it a listing taken
 * in that moment left the job out: the dashboard's library did not show it, and nas-sync took it for gone
 * (a path held for a copy of it that verify found missing was freed for another job's file). One look at
 * the partial folders for all of them, then at each job folder; a job folder there is read through the
 * replace (moved aside during the read, it is read again), one that is not there costs one more look at
 * the partial folders (a job still being made, or gone).
 */
export async function readListedThroughReplace<T>(
  outputsDir: string,
  jobIds: readonly string[],
  read: (jobId: string) => Promise<T | undefined>,
  options: ReadThroughReplaceOptions = {},
): Promise<ListedThroughReplace<T>> {
  if (jobIds.length === 0) return { found: [], replacing: [] };
  const ready = await readyPartials(outputsDir);
  const replacing: string[] = [];
  // Each job's read in its place among jobIds: pushed as each ended, a job read across a replace came after
  // the others, and the order of a listing changed with the timing of the reads.
  const got: (T | undefined)[] = jobIds.map(() => undefined);
  await Promise.all(
    jobIds.map(async (jobId, i) => {
      let state = await stateAfter(outputsDir, jobId, ready);
      // `ready` was looked at once, before: a partial folder readied since and the job's folder then moved
      // aside looks absent by it. Looked at again, for this job alone (a job being made, or gone: few).
      if (state === 'absent') state = await replaceState(outputsDir, jobId);
      if (state === 'absent') return;
      // A folder there is read through the replace too: moved aside again during this read (published
      // twice within the listing's two reads), it is read again, not left out of the listing.
      got[i] = await readThroughReplace(outputsDir, jobId, () => read(jobId), options);
      if (got[i] === undefined && state === 'being-replaced' && (await isBeingReplaced(outputsDir, jobId)))
        replacing.push(jobId);
    }),
  );
  return { found: got.filter((one): one is T => one !== undefined), replacing: replacing.sort() };
}

/**
 * readOutputManifest of `outputs/<job_id>/` through readThroughReplace: the reader of one job's outputs by
 * its id (the dashboard's job page, its mixer, its previews), which a moment of replacing does not fool.
 */
export async function readJobOutput(
  outputsDir: string,
  jobId: string,
  options: ReadThroughReplaceOptions = {},
): Promise<ReadOutputResult | undefined> {
  return readThroughReplace(outputsDir, jobId, () => readOutputManifest(join(outputsDir, jobId)), options);
}
