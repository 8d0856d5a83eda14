import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, isImkError } from '@imk/errors';
import type { Logger } from '@imk/log';
import type { Job, JobOptions } from '@imk/protocol';
import { readOutputManifest, type Manifest } from '@imk/protocol';
import type { WorkerContext } from './context.ts';
import { linkArtifacts } from './link-artifacts.ts';
import { buildManifest } from './manifest.ts';
import type { StageRunner } from './stage-runner.ts';

/** The v1 manifest published in `dir`, or undefined (missing, legacy or invalid). */
export async function readPublishedManifest(dir: string): Promise<Manifest | undefined> {
  const result = await readOutputManifest(dir);
  const document = result?.ok ? result.manifest.document : undefined;
  return document && !document.legacy ? document.manifest : undefined;
}

/** True when `manifest` describes outputs made from this input with these engine and options. */
export function sameOutputs(manifest: Manifest | undefined, inputSha256: string, outputKey: string): boolean {
  return manifest !== undefined && manifest.input.sha256 === inputSha256 && manifest.output_key === outputKey;
}

export interface Duplicate {
  jobId: string;
  dir: string;
  manifest: Manifest;
}

/**
 * The succeeded jobs with the same input and the same outputs asked, whose published manifest says so
 * (the folders are the truth: the ledger only says where to look), without linking anything yet.
 */
export async function duplicateCandidates(
  ctx: WorkerContext,
  inputSha256: string,
  outputKey: string,
  jobId: string,
): Promise<Duplicate[]> {
  const found: Duplicate[] = [];
  for (const earlier of ctx.ledger.listSucceededByInput(inputSha256, jobId)) {
    const dir = join(ctx.paths.outputs, earlier.job_id);
    const manifest = await readPublishedManifest(dir);
    if (!sameOutputs(manifest, inputSha256, outputKey) || manifest!.duplicate_of !== undefined) continue;
    found.push({ jobId: earlier.job_id, dir, manifest: manifest! });
  }
  return found;
}

/**
 * The first of `earlier` (duplicateCandidates) whose files could be linked into `partialDir`. An earlier
 * job whose files cannot be reused as they are (a link leading out of its folder, a FIFO, other content
 * than its manifest's sha256) is passed over with a warning naming the job and the file: the job is then
 * processed normally, nothing foreign is published.
 */
export async function findDuplicate(search: {
  inputSha256: string;
  outputKey: string;
  earlier: Duplicate[];
  partialDir: string;
  logger: Logger;
}): Promise<{ duplicate?: Duplicate; warnings: string[] }> {
  const { inputSha256, outputKey, earlier: candidates, partialDir, logger } = search;
  const warnings: string[] = [];
  for (const earlier of candidates) {
    // Read again under the claim on this job's outputs: it may have changed since it was found.
    const manifest = await readPublishedManifest(earlier.dir);
    if (!sameOutputs(manifest, inputSha256, outputKey) || manifest!.duplicate_of !== undefined) continue;
    try {
      await linkArtifacts({ jobId: earlier.jobId, dir: earlier.dir }, manifest!, partialDir);
      return { duplicate: { ...earlier, manifest: manifest! }, warnings };
    } catch (error) {
      if (!isImkError(error, 'LINKED_ARTIFACT_INVALID')) throw error;
      logger.warn(
        { earlier_job_id: earlier.jobId, file: error.details.file, err: errorMessage(error) },
        'the outputs of an earlier job with the same input were not reused; processing this job normally',
      );
      warnings.push(`${errorMessage(error)}; this job was processed instead of linking them`);
      // Whatever was linked before the refused file goes: the job starts again from an empty folder.
      await rm(partialDir, { recursive: true, force: true });
      await mkdir(partialDir, { recursive: true });
    }
  }
  return { warnings };
}

export interface DuplicateManifestInput {
  job: Job;
  inputName: string;
  duplicate: Duplicate;
  partialDir: string;
  outputKey: string;
  warnings: string[];
  stages: StageRunner;
  options: JobOptions;
  /** See ManifestInput.namesFrom. */
  namesFrom?: 'tags';
}

/** Describes the earlier job's files, linked into the partial folder, under this job's id. */
export function duplicateManifest(input: DuplicateManifestInput): Manifest {
  // findDuplicate linked (and checked) the earlier job's files already.
  const { duplicate: earlier } = input;
  return buildManifest({
    job: input.job,
    artifacts: earlier.manifest.artifacts,
    input: { ...earlier.manifest.input, path: input.inputName },
    engine: earlier.manifest.engine,
    options: input.options,
    timings: { ...input.stages.timings, manifest: input.stages.elapsedSec() },
    warnings: [
      ...input.warnings,
      `same input and outputs as job ${earlier.jobId}: its files were linked, nothing was processed again`,
    ],
    stemsGenerated: earlier.manifest.stems_generated,
    nullResidualDb: earlier.manifest.null_residual_db,
    duplicateOf: earlier.jobId,
    outputKey: input.outputKey,
    ...(input.namesFrom !== undefined && { namesFrom: input.namesFrom }),
  });
}
