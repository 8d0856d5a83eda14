import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ImkError } from '@imk/errors';
import { fileSystemNow, fsyncDir, fsyncTree, moveNoClobber, pathExists, writeJsonAtomic } from '@imk/fs-safe';
import type { Logger } from '@imk/log';
import {
  CLOCK_CHECK_PREFIX,
  MANIFEST_FILE,
  PUBLISHED_MARKER_FILE,
  REPLACED_DIR,
  entriesNotWritten,
  isPartialOf,
  partialDirName,
  readOutputManifest,
  replacedName,
  type Manifest,
  type OutputManifest,
} from '@imk/protocol';
import './errors.ts';

// The outputs layout is @imk/protocol's (outputs-layout.ts); re-exported for this package's users.
export { MANIFEST_FILE, REPLACED_DIR, partialDirName };

/** `outputs/.<job_id>.partial-<consumer>/`: where this worker builds (startOutputs) or discards a job's outputs. */
export function partialOutputsDir(outputsDir: string, jobId: string, consumerId: string): string {
  return join(outputsDir, partialDirName(jobId, consumerId));
}

/**
 * Makes an empty folder to build a job's outputs in. Partial folders other workers left for this job
 * (they crashed, or lost the claim we now hold) were never visible to readers and are removed.
 */
export async function startOutputs(
  outputsDir: string,
  jobId: string,
  consumerId: string,
  logger?: Logger,
): Promise<string> {
  await mkdir(outputsDir, { recursive: true });
  for (const name of await readdir(outputsDir)) {
    // Exactly this job's: a prefix match took job x.partial-y's work in progress (.x.partial-y.partial-…)
    // and its mix claim (.x.partial-y.mixing) for job x's leftovers, and removed them.
    if (!isPartialOf(name, jobId)) continue;
    logger?.info({ dir: name }, 'removing an unfinished output folder left by an earlier attempt');
    await rm(join(outputsDir, name), { recursive: true, force: true });
  }
  const partial = partialOutputsDir(outputsDir, jobId, consumerId);
  await mkdir(partial, { recursive: true });
  return partial;
}

/**
 * Removes the partial folder a job's stages had started when they failed or were stopped (cancel,
 * shutdown): nothing half-made stays in outputs/. Called by whoever started it, which knows its name (a
 * remix builds under the job it adds to, the songs of a bundle each under their own id).
 */
export async function discardOutputs(partialDir: string | undefined): Promise<void> {
  if (partialDir !== undefined) await rm(partialDir, { recursive: true, force: true }).catch(() => undefined);
}

export interface PublishOutputsOptions {
  outputsDir: string;
  jobId: string;
  partialDir: string;
  manifest: Manifest;
  /**
   * Asked right before the folder becomes visible, and answered from disk (Claim.confirm): a claim taken
   * back while this worker was stopped past its lease is discarded, never published over the new holder's.
   */
  stillHeld: () => Promise<boolean>;
  logger?: Logger;
}

export interface PublishedOutputs {
  dir: string;
  /** Where an earlier output folder of the same job id was moved, if there was one. */
  replaced?: string;
}

function stamp(date = new Date()): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/**
 * Where in `.replaced/` an earlier `outputs/<job_id>/` goes: `<job_id>@<time>`, or `<job_id>@<time>-2`, -3…
 * when one of this second is there. Two publishes of one job within a second (two mixes saved in a row,
 * taken by two hosts) met at one name, and the second move aside failed (ENOTEMPTY; EPERM over sshfs),
 * failing that mix for good. Publishes of one job are one at a time (its claim), so a look is enough.
 */
async function freeReplacedPath(aside: string, jobId: string, earlierVersion: boolean): Promise<string> {
  const at = stamp();
  for (let n = 1; ; n++) {
    const path = join(aside, replacedName(jobId, n === 1 ? at : `${at}-${n}`, earlierVersion));
    if (!(await pathExists(path))) return path;
  }
}

/**
 * Throws OUTPUTS_BEING_WRITTEN when `outputs/<job_id>/` holds no valid manifest and changed lately (see
 * refuseLiveWriter); else returns what readOutputManifest said of it (undefined: no manifest.json). Asked
 * at publish, and by a job waiting for it before it does any work (process-job).
 */
export async function refuseBusyOutputs(
  outputsDir: string,
  jobId: string,
): Promise<Awaited<ReturnType<typeof readOutputManifest>> | undefined> {
  const final = join(outputsDir, jobId);
  const earlier = await readOutputManifest(final).catch(() => undefined);
  if (earlier?.ok !== true) await refuseLiveWriter(final, jobId, earlier === undefined);
  return earlier;
}

/**
 * Publishes a job's outputs so that a reader sees all of them or none: every file and folder of the
 * partial folder fsynced, manifest.json written last (atomically), then one rename to `outputs/<job_id>/`
 * and an fsync of outputs/. An earlier `outputs/<job_id>/` is first moved to `outputs/.replaced/<job_id>@<time>/`.
 */
export async function publishOutputs(options: PublishOutputsOptions): Promise<PublishedOutputs> {
  const { outputsDir, jobId, partialDir } = options;
  const final = join(outputsDir, jobId);
  // The earlier Python version's output of this id (its yt_<video>_audio and dz_<id> ids are ours too: a
  // song fetched again) is the user's library, not a run of ours: it went to .replaced/ like a re-run's and
  // imk cleanup removed it after retention.archives.maxAgeDays. It is now kept for good, and said.
  // Only a folder holding a manifest of ours (schema_version) is a run of ours, removed after retention. One
  // without a readable manifest (the earlier version still writing it in place, or stopped half-way; a
  // manifest that does not validate) is kept for good like the earlier version's: it went to .replaced/ as
  // ours and imk cleanup deleted it.
  const earlier = await refuseBusyOutputs(outputsDir, jobId);
  const ours = earlier?.ok === true && !earlier.manifest.legacy;
  const earlierVersion = earlier?.ok === true && earlier.manifest.legacy;
  const aside = join(outputsDir, REPLACED_DIR);
  const replacedPath = await freeReplacedPath(aside, jobId, !ours);
  const keptAt = `outputs/${REPLACED_DIR}/${basename(replacedPath)}/`;
  const whose = earlierVersion
    ? `the earlier instrumental-maker's outputs of this job id`
    : `files without a manifest of this version (${earlier === undefined ? 'no manifest.json' : 'its manifest.json is not valid'}: the earlier instrumental-maker's, or another program's)`;
  // What a user put into the earlier folder of ours (notes.txt, an edit of their own): it stays in the job's
  // folder, moved into the new one after the swap. Before, it went to .replaced/ with the job's files and
  // imk cleanup deleted it after retention. One whose name the new outputs take stays in .replaced/ (which
  // cleanup then keeps), said in the manifest.
  const userEntries =
    ours && earlier.ok ? await userEntriesOf(final, earlier.manifest, partialDir) : { carry: [], clash: [] };
  const warnings = [
    ...(!ours && (await pathExists(final))
      ? [`outputs/${jobId}/ held ${whose}; they are kept, never removed by imk cleanup, in ${keptAt}`]
      : []),
    ...userEntries.clash.map(
      (path) =>
        `outputs/${jobId}/${path} was not written by imk, and these outputs have a file of that name: yours is kept in ${keptAt}${path} (imk cleanup keeps that folder while it holds it)`,
    ),
  ];
  const manifest: Manifest =
    warnings.length > 0
      ? { ...options.manifest, warnings: [...(options.manifest.warnings ?? []), ...warnings] }
      : options.manifest;
  await fsyncTree(partialDir);
  // Says "this version published the folder": a manifest of the earlier version found beside it later
  // means that version wrote into ours (readOutputManifest refuses it, naming the cause).
  await writeJsonAtomic(join(partialDir, PUBLISHED_MARKER_FILE), {
    job_id: jobId,
    published_at: new Date().toISOString(),
  });
  await writeJsonAtomic(join(partialDir, MANIFEST_FILE), manifest);
  if (!(await options.stillHeld())) {
    await rm(partialDir, { recursive: true, force: true });
    throw new ImkError(
      'CLAIM_LOST',
      `the claim on job ${jobId} was lost before its outputs were published; work discarded`,
    );
  }
  let replaced: string | undefined;
  if (await pathExists(final)) {
    await mkdir(aside, { recursive: true });
    replaced = replacedPath;
    await rename(final, replaced);
  }
  await rename(partialDir, final);
  if (replaced !== undefined) await carryUserEntries(replaced, final, userEntries.carry, options.logger);
  // Both folders' renames made durable only now: between the two renames outputs/<job_id>/ does not exist
  // (no rename swaps two folders in Node), and readers (nas-sync, the dashboard) should see that instant
  // only as an instant, not for the length of an fsync. Readers of one job read across it (@imk/protocol
  // readJobOutput: the partial folder holds manifest.json by now, which says the folder is coming back).
  if (replaced !== undefined) {
    await fsyncDir(aside);
    options.logger?.warn(
      { dir: final, moved_to: replaced, earlier_version: earlierVersion, kept_for_good: !ours },
      ours
        ? 'an earlier output folder of this job was moved aside'
        : `outputs/${jobId}/ (${earlierVersion ? "the earlier instrumental-maker's output folder" : 'a folder without a manifest of this version'}) was moved aside, kept for good (imk cleanup never removes it)`,
    );
  }
  await fsyncDir(outputsDir);
  return replaced === undefined ? { dir: final } : { dir: final, replaced };
}

/**
 * The entries of the earlier folder not written by imk (entriesNotWritten): those to carry into the new
 * folder, and those whose path the new outputs (`partialDir`) already take, or pass through a file of.
 */
async function userEntriesOf(
  final: string,
  earlier: OutputManifest,
  partialDir: string,
): Promise<{ carry: string[]; clash: string[] }> {
  const carry: string[] = [];
  const clash: string[] = [];
  for (const path of await entriesNotWritten(final, earlier)) {
    const parts = path.split('/');
    let taken = false;
    for (let n = 1; n <= parts.length && !taken; n++) {
      const info = await lstat(join(partialDir, ...parts.slice(0, n))).catch(() => undefined);
      // The path itself taken, or a folder on its way is a file (or a link) in the new outputs.
      taken = info !== undefined && (n === parts.length || !info.isDirectory());
    }
    (taken ? clash : carry).push(path);
  }
  return { carry, clash };
}

/**
 * Moves the user's entries from the folder moved aside into the job's new folder, at the same paths, never
 * over anything (moveNoClobber). One that cannot be moved stays where it is, in `.replaced/`, said in the
 * log; imk cleanup keeps that folder while it holds it.
 */
async function carryUserEntries(
  from: string,
  to: string,
  paths: readonly string[],
  logger: Logger | undefined,
): Promise<void> {
  for (const path of paths) {
    try {
      await mkdir(dirname(join(to, path)), { recursive: true });
      if (await moveNoClobber(join(from, path), join(to, path))) continue;
      logger?.warn(
        { file: path, kept_in: from },
        'a file not written by imk stays in the replaced folder: the new outputs took its name',
      );
    } catch (error) {
      logger?.warn(
        { file: path, kept_in: from, err: error },
        'a file not written by imk stays in the replaced folder: it could not be moved',
      );
    }
  }
  if (paths.length > 0) {
    await fsyncDir(to);
    logger?.info({ files: paths, from }, 'files not written by imk were kept in the job folder');
  }
}

/**
 * How long a folder of outputs/ without a valid manifest must have been left unchanged before it is taken
 * for one its writer left (and moved aside, kept for good), rather than one the earlier Python version is
 * still writing: it makes `outputs/<job_id>/` first, separates for as long as the song takes (its own
 * per-chunk limit is an hour), then writes its files and manifest.json by name.
 */
export const EARLIER_WRITER_QUIET_MS = 6 * 3600_000;

/** Entries looked at for the newest change in a folder (the earlier version's hold a dozen). */
const NEWEST_CHANGE_MAX_ENTRIES = 10_000;

/**
 * The newest mtime under `dir` (itself and its folders included, links not followed), and the newest file
 * (the one to name; undefined when there is none).
 */
async function newestChange(dir: string): Promise<{ ms: number; file: string | undefined }> {
  let ms = (await lstat(dir)).mtimeMs;
  let file: { ms: number; path: string } | undefined;
  const pending = [''];
  let seen = 0;
  while (pending.length > 0 && seen < NEWEST_CHANGE_MAX_ENTRIES) {
    const rel = pending.pop()!;
    const entries = await readdir(join(dir, rel), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (++seen > NEWEST_CHANGE_MAX_ENTRIES) break;
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      const info = await lstat(join(dir, path)).catch(() => undefined);
      if (info === undefined) continue;
      ms = Math.max(ms, info.mtimeMs);
      if (entry.isDirectory()) pending.push(path);
      else if (file === undefined || info.mtimeMs > file.ms) file = { ms: info.mtimeMs, path };
    }
  }
  return { ms, file: file?.path };
}

/**
 * Refuses to move aside `outputs/<job_id>/` when it holds no valid manifest and changed lately: the earlier
 * version is likely still writing it (by name), and once our folder took its place, its next files and its
 * manifest.json would be written into ours, over our files of the same name. Left as it is; the job waits
 * (OUTPUTS_BEING_WRITTEN's policy, retry.maxWaitMs) until the earlier version finishes, writing its
 * manifest: then it is moved aside, kept.
 */
async function refuseLiveWriter(final: string, jobId: string, noManifest: boolean): Promise<void> {
  const info = await lstat(final).catch(() => undefined);
  if (!info?.isDirectory()) return;
  const newest = await newestChange(final);
  // Aged on the clock that stamped those files (the file server's, for outputs/ on a share), never this
  // host's: a host a day ahead of it took a folder being written for one left a day ago and moved it aside
  // (the earlier version then wrote its next files into ours); one a day behind waited for a folder
  // left long ago until retry.maxWaitMs.
  const ago = (await fileSystemNow(dirname(final), CLOCK_CHECK_PREFIX)) - newest.ms;
  if (ago >= EARLIER_WRITER_QUIET_MS) return;
  const what = newest.file === undefined ? '' : ` (its newest file: outputs/${jobId}/${newest.file})`;
  throw new ImkError(
    'OUTPUTS_BEING_WRITTEN',
    `outputs/${jobId}/ holds files ${noManifest ? 'without a manifest.json' : 'whose manifest.json is not valid (yet)'}, and changed ${Math.max(0, Math.round(ago / 60_000))} min ago by the clock of the file system outputs/ is on${what}: the earlier instrumental-maker (or another program) is likely still writing it. It writes by name, so if this job's outputs took that folder's place, its next files and its manifest.json would overwrite this job's. Nothing was moved or published. The job waits for it (looking again every retry.waitCheckMs, for at most retry.maxWaitMs, config/instrumental-maker.yaml), without spending its attempts: once the earlier version has written its manifest.json, or left the folder unchanged for ${EARLIER_WRITER_QUIET_MS / 3600_000} h (abandoned), the folder is kept in outputs/.replaced/ and this job published. If the job failed after waiting that long, stop the earlier version or move the folder away yourself, then: imk retry ${jobId}`,
    { details: { job_id: jobId, ...(newest.file !== undefined && { file: newest.file }) } },
  );
}
