import type { Dirent } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { listEntriesOrEmpty, listNamesNotUtf8, mayNotBeUtf8 } from '@imk/fs-safe';
import { MANIFEST_FILE, isListedOutputName, isOutputFolderName, partialJobId } from './outputs-layout.ts';
import { readListedThroughReplace } from './outputs-replacing.ts';
import type { OutputFolder } from './outputs.ts';

/**
 * The finished job folders in outputs/, by name: real folders (not links) named by a job id (so never a
 * partial or `.replaced` folder), or by an id the earlier version allowed that is none here (spaces
 * around it: `readOnly`), that hold a manifest.json (a regular file). The folder name is the output's job id for every
 * reader (its address: dashboard links, sync receipts, the ledger). A missing outputs folder is an empty
 * list. Nothing is read: see readOutputManifest.
 */
export async function listOutputs(outputsDir: string): Promise<OutputFolder[]> {
  return (await scanOutputFolders(outputsDir)).folders;
}

/** What the one outputs reader found: the finished job folders, and what it could not list and why. */
export interface OutputsScan {
  /** By job id, those read again across a replace among the others. */
  folders: OutputFolder[];
  /**
   * One line per folder of outputs/ whose name is not UTF-8 (a library copied from an old Windows share or
   * written by a script so), naming it readably (`Caf\xE9`, "Café" in Windows-1252), or holds a control
   * character (`Line\x0ABreak`): such a name opens nothing as text, or breaks every line it is printed in,
   * so it is no job of any reader. Outputs are published, so it is not renamed (copies
   * delivered from it keep their paths): each reader says it instead (`imk jobs`, the dashboard, the ledger
   * rebuild, the sync pass).
   */
  notListed: string[];
  /**
   * Jobs whose folder was being replaced (isBeingReplaced) and not back within REPLACE_WAIT_MS: a worker
   * stopped between its two renames. Not in `folders` (there is nothing to read), but not gone: a reader
   * that acts on a job being gone (nas-sync freeing the paths of its copies) takes it as still there.
   */
  replacing: string[];
}

/**
 * listOutputs, with the folders it leaves out for their name (not UTF-8, or with a control character) said
 * (OutputsScan.notListed):
 * the one reader of outputs/ for every reader that reports what it could not read.
 *
 * A job whose folder a worker is replacing as it lists (a re-run, a saved mix: the earlier folder moved
 * aside, then the partial folder renamed into its place) is listed once it is back, after at most
 * REPLACE_WAIT_MS (readListedThroughReplace): it never drops out of a listing for that moment.
 */
export async function scanOutputFolders(outputsDir: string): Promise<OutputsScan> {
  const entries = await listEntriesOrEmpty(outputsDir);
  const names = entries
    .filter((entry) => entry.isDirectory() && isListedOutputName(entry.name))
    .map((entry) => entry.name);
  const found = await Promise.all(names.map((jobId) => withManifest(outputsDir, jobId)));
  const folders = found.filter((folder): folder is OutputFolder => folder !== undefined);
  // Looked at again: a listed folder with nothing read (moved aside since), a partial folder's job not listed.
  const listed = new Set(names);
  const partialJobs = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => partialJobId(entry.name))
    .filter(
      (jobId): jobId is string => jobId !== undefined && isOutputFolderName(jobId) && !listed.has(jobId),
    );
  const missed = [...names.filter((_, i) => found[i] === undefined), ...new Set(partialJobs)];
  const again = await readListedThroughReplace(outputsDir, missed, (jobId) =>
    withManifest(outputsDir, jobId),
  );
  return {
    folders: [...folders, ...again.found].sort(byJobId),
    notListed: await notListedOf(outputsDir, entries),
    replacing: again.replacing,
  };
}

const byJobId = (a: OutputFolder, b: OutputFolder): number =>
  a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : 0;

/**
 * OutputsScan.notListed alone (one listing of outputs/, no manifest looked at): for a view refreshed
 * often (the dashboard's overview) that says what it cannot list beside what it shows.
 */
export async function outputsNotListed(outputsDir: string): Promise<string[]> {
  return notListedOf(outputsDir, await listEntriesOrEmpty(outputsDir));
}

async function notListedOf(outputsDir: string, entries: readonly Dirent[]): Promise<string[]> {
  // A real folder whose UTF-8 name holds a control character (a line break a script left in it): no reader
  // lists it (a name that breaks log lines and tables), said here like a name that is not UTF-8.
  const said = entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && !mayNotBeUtf8(entry.name))
    .filter((entry) => !isListedOutputName(entry.name) && entry.name.search(CONTROL) !== -1)
    .map((entry) => describeControlName(entry.name));
  // readdir gives U+FFFD for bytes that are not UTF-8: only then is the folder listed again by its bytes.
  if (!entries.some((entry) => mayNotBeUtf8(entry.name))) return said;
  const notUtf8 = (await listNamesNotUtf8(outputsDir))
    .filter((entry) => entry.isDirectory)
    .map((entry) => describeNameNotUtf8(entry.shown, entry.read));
  return [...said, ...notUtf8];
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;

/** The one wording of an output folder left out because its name holds a control character. */
function describeControlName(name: string): string {
  const shown = name.replace(
    CONTROL,
    (c) => `\\x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
  return (
    `outputs/${shown}/ is not listed, recorded nor synced: its name holds a control character (a line ` +
    `break or a tab). It is not renamed, as it was published under that name; if nothing depends on that ` +
    `path, rename it without it and it is read like any other`
  );
}

/** The one wording of an output folder left out because its name is not UTF-8. */
function describeNameNotUtf8(shown: string, read: string): string {
  return (
    `outputs/${shown}/ is not listed, recorded nor synced: its name is not UTF-8 (its bytes read as ` +
    `Windows-1252 say "${read}"). It is not renamed, as it was published under that name; if nothing ` +
    `depends on that path, rename it to a UTF-8 name (e.g. "${read}") and it is read like any other`
  );
}

/** `outputs/<job_id>/` if it holds a regular manifest.json (lstat: a link is no finished job). */
async function withManifest(outputsDir: string, jobId: string): Promise<OutputFolder | undefined> {
  const dir = join(outputsDir, jobId);
  const manifestPath = join(dir, MANIFEST_FILE);
  const info = await lstat(manifestPath).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  return {
    jobId,
    dir,
    manifestPath,
    version: `${info.ino}:${info.size}:${info.mtimeMs}`,
    writtenMs: info.mtimeMs,
    readOnly: !isOutputFolderName(jobId),
  };
}

/**
 * The finished job folder `outputs/<job_id>/` as listOutputs would list it (a real folder named by a job id,
 * holding a regular manifest.json), or undefined: a reader that wants one job asks here rather than
 * stat-ing its manifest itself. Nothing is read: see readOutputManifest.
 */
export async function findOutput(outputsDir: string, jobId: string): Promise<OutputFolder | undefined> {
  if (!isListedOutputName(jobId)) return undefined;
  const folder = await lstat(join(outputsDir, jobId)).catch(() => undefined);
  return folder?.isDirectory() ? withManifest(outputsDir, jobId) : undefined;
}
