import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ImkError } from '@imk/errors';
import { fsyncDir, fsyncTree, pathExists, writeJsonAtomic } from '@imk/fs-safe';
import type { Logger } from '@imk/log';
import {
  MANIFEST_FILE,
  PUBLISHED_MARKER_FILE,
  REPLACED_DIR,
  partialDirName,
  partialPrefix,
  readOutputManifest,
  replacedName,
  type Manifest,
} from '@imk/protocol';

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
  const prefix = partialPrefix(jobId);
  for (const name of await readdir(outputsDir)) {
    if (!name.startsWith(prefix)) continue;
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
  const earlier = await readOutputManifest(final).catch(() => undefined);
  const ours = earlier?.ok === true && !earlier.manifest.legacy;
  const earlierVersion = earlier?.ok === true && earlier.manifest.legacy;
  const aside = join(outputsDir, REPLACED_DIR);
  const replacedPath = join(aside, replacedName(jobId, stamp(), !ours));
  const keptAt = `outputs/${REPLACED_DIR}/${basename(replacedPath)}/`;
  const whose = earlierVersion
    ? `the earlier instrumental-maker's outputs of this job id`
    : `files without a manifest of this version (${earlier === undefined ? 'no manifest.json' : 'its manifest.json is not valid'}: the earlier instrumental-maker's, or another program's)`;
  const manifest: Manifest =
    !ours && (await pathExists(final))
      ? {
          ...options.manifest,
          warnings: [
            ...(options.manifest.warnings ?? []),
            `outputs/${jobId}/ held ${whose}; they are kept, never removed by imk cleanup, in ${keptAt}`,
          ],
        }
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
    await fsyncDir(aside);
    options.logger?.warn(
      { dir: final, moved_to: replaced, earlier_version: earlierVersion, kept_for_good: !ours },
      ours
        ? 'an earlier output folder of this job was moved aside'
        : `outputs/${jobId}/ (${earlierVersion ? "the earlier instrumental-maker's output folder" : 'a folder without a manifest of this version'}) was moved aside, kept for good (imk cleanup never removes it)`,
    );
  }
  await rename(partialDir, final);
  await fsyncDir(outputsDir);
  return replaced === undefined ? { dir: final } : { dir: final, replaced };
}
