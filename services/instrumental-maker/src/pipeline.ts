import { join } from 'node:path';
import type { Logger } from '@imk/log';
import type { MediaInfo } from '@imk/media';
import type { Claim } from '@imk/fsqueue';
import type { Artifact, BundleSong, Job, Manifest } from '@imk/protocol';
import type { SeparationEngine, SeparationResult, VariantRecipe } from '@imk/separation';
import { bundleFiles, holdBundleFile, releaseBundleFiles, type BundleFiles } from './bundle-files.ts';
import type { WorkerContext } from './context.ts';
import type { Duplicate } from './duplicates.ts';
import type { MixClaim } from './mix-claim.ts';
import type { ResolvedOptions } from './options.ts';
import { PIPELINE_STEPS } from './pipeline-steps.ts';
import { discardOutputs } from './publish-outputs.ts';
import { runStages, type StageRunner } from './stage-runner.ts';

export interface PipelineResult {
  /** processed; duplicate (linked from an earlier job); resumed (already published by an earlier attempt). */
  kind: 'processed' | 'duplicate' | 'resumed';
  dir: string;
  manifest: Manifest;
  inputSha256: string;
  replaced?: string;
}

export interface PipelineInput {
  ctx: WorkerContext;
  claim: Claim;
  stages: StageRunner;
  signal: AbortSignal;
  /**
   * The worker's stop (Ctrl-C, SIGTERM), before its grace period is over: the job may finish, but a step
   * that would take a tool's failure for a verdict on the bundle (the cover) asks it first. @default none
   */
  stopping?: AbortSignal | undefined;
  logger: Logger;
  /** This job's scratch folder (empty, removed by the caller). */
  work: string;
  /**
   * The song of the bundle to make (a legacy `audio_files` bundle holds several, each published under its
   * own id). @default the bundle's one song, as `bundleSongs` gives it
   */
  song: BundleSong;
}

/**
 * What the stages of one job have found so far: each stage fills in its part (options fills options,
 * hash fills inputSha256, …) for the stages after it.
 */
export interface PipelineState extends PipelineInput {
  job: Job;
  jobId: string;
  /** The input's name in the bundle, and its path. */
  inputName: string;
  inputFile: string;
  /**
   * The claimed bundle with the files the job reads (input, video, cover) opened once when it started:
   * every read of them goes through these descriptors (passed to media readers as `within`).
   */
  bundle: BundleFiles;
  /** The decoded mixture, in the scratch folder. */
  mixture: string;
  warnings: string[];
  // options
  /** The bundle's cover, when it holds a picture (else a warning says why the files have none). */
  cover?: string;
  options?: ResolvedOptions;
  engine?: SeparationEngine;
  engineFacts?: { name: string; version: string; params: Record<string, unknown> };
  probedInput?: MediaInfo;
  /** `tags` when job.json gave no title and the names came from the input's tags (namesFromTags). */
  namesFrom?: 'tags';
  // hash
  inputSha256?: string;
  /** The input's size: of the file that was hashed (its descriptor), or as declared with its hash. */
  inputBytes?: number;
  outputKey?: string;
  /**
   * The claim on outputs/<job_id>/ that mixes of this job take too: held while the outputs are written
   * (encode, or linking a duplicate) until they are published, not through decode and separation.
   */
  mixClaim?: MixClaim;
  partialDir?: string;
  duplicate?: Duplicate;
  cacheKey?: string;
  separation?: SeparationResult & { nullResidualDb?: number; decodeErrors?: string[] };
  // decode
  decoded?: boolean;
  /**
   * The decoded mixture's sha256 (when the input was decoded and there is a stem cache): the key by which
   * another file of the same audio finds these stems, or this job finds theirs (separate-step.ts).
   */
  audioSha256?: string;
  info?: MediaInfo;
  /**
   * A WAV input's length as its header declares it (ffprobe gives what the file holds): more than it holds
   * is a file cut short, said in the manifest. Undefined for other formats, or a header that does not say.
   */
  declaredInputSec?: number;
  /** What ffmpeg printed decoding the input (damaged packets it skipped), when it printed anything. */
  decodeErrors?: string[];
  // mix, encode, manifest
  videoVariant?: string;
  /** The video variant's recipe (tempo 1: the picture keeps its timing). */
  videoRecipe?: VariantRecipe;
  variantWavs?: Record<string, string>;
  artifacts?: Artifact[];
  manifest?: Manifest;
}

/** Makes one song of a claimed bundle: the stages of STAGES in order, one step each (pipeline-steps.ts). */
export async function runPipeline(input: PipelineInput): Promise<PipelineResult> {
  const { job } = input.song;
  const inputName = job.audio_path ?? job.video_path!;
  const state: PipelineState = {
    ...input,
    job,
    jobId: job.job_id,
    inputName,
    inputFile: join(input.claim.dir, inputName),
    bundle: bundleFiles(input.claim.dir),
    mixture: join(input.work, 'mixture.wav'),
    warnings: [],
  };
  try {
    // Opened once, now that the bundle is claimed: a file renamed over one of them later is never read.
    // One that cannot be opened fails the step that needs it (the input: the hash), as a read by name did.
    for (const name of [inputName, job.video_path, job.cover_path])
      if (name !== undefined) await holdBundleFile(state.bundle, name);
    return await runStages(input.stages, PIPELINE_STEPS, state, input.signal, job.job_id);
  } catch (error) {
    // Still under the claim: a mix of this job waiting for it starts its own partial folder only after.
    await discardOutputs(state.partialDir);
    throw error;
  } finally {
    await state.mixClaim?.release();
    await releaseBundleFiles(state.bundle);
  }
}
