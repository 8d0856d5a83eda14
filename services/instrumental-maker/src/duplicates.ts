import { copyFile, link, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Job, JobOptions } from '@imk/protocol';
import { readOutputManifest, type Manifest } from '@imk/protocol';
import type { WorkerContext } from './context.ts';
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

/**
 * Puts the earlier job's files into `outDir` under the same relative paths: hard links (no space used,
 * and they stay valid whatever happens to the earlier folder), or copies where links are refused.
 */
export async function linkArtifacts(fromDir: string, manifest: Manifest, outDir: string): Promise<void> {
  for (const artifact of manifest.artifacts) {
    const from = join(fromDir, artifact.path);
    const to = join(outDir, artifact.path);
    await mkdir(dirname(to), { recursive: true });
    try {
      await link(from, to);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOTSUP') throw error;
      await copyFile(from, to);
    }
  }
}

export interface Duplicate {
  jobId: string;
  dir: string;
  manifest: Manifest;
}

/** A succeeded job with the same input and the same outputs asked, whose published manifest says so. */
export async function findDuplicate(
  ctx: WorkerContext,
  jobId: string,
  inputSha256: string,
  outputKey: string,
): Promise<Duplicate | undefined> {
  for (const earlier of ctx.ledger.listSucceededByInput(inputSha256, jobId)) {
    const dir = join(ctx.paths.outputs, earlier.job_id);
    const manifest = await readPublishedManifest(dir);
    // The folders are the truth: the ledger only says where to look.
    if (sameOutputs(manifest, inputSha256, outputKey) && manifest!.duplicate_of === undefined)
      return { jobId: earlier.job_id, dir, manifest: manifest! };
  }
  return undefined;
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
}

/** Links the earlier job's files into the partial folder and describes them under this job's id. */
export async function duplicateManifest(input: DuplicateManifestInput): Promise<Manifest> {
  const { duplicate: earlier } = input;
  await linkArtifacts(earlier.dir, earlier.manifest, input.partialDir);
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
  });
}
