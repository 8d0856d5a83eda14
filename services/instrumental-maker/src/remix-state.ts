import type { Artifact, Job, Manifest, Remix } from '@imk/protocol';
import type { SeparationResult, VariantRecipe } from '@imk/separation';
import type { MixClaim } from './mix-claim.ts';
import type { PipelineInput } from './pipeline.ts';
import { startOutputs } from './publish-outputs.ts';
import type { LegacySource } from './remix-legacy.ts';
import type { manifestOptionsToResolved } from './remix-options.ts';
import type { ReportProgress } from './stage-runner.ts';
import { writeOutputs } from './write-outputs.ts';

/** What the stages of one remix have found so far (as PipelineState is for a normal job). */
export interface RemixState extends Omit<PipelineInput, 'song'> {
  /** The job whose outputs the mix joins. */
  target: string;
  sourceDir: string;
  /** The variant's name (with its key/tempo suffix) and recipe. */
  name: string;
  recipe: VariantRecipe;
  /** The mix as its job.json asks for it (name, levels, key, tempo). */
  remix: Remix;
  source?: Manifest;
  /** The target is an output of the earlier Python version, mixed from the stem WAVs it kept. */
  legacy?: LegacySource;
  /** Its stems' sha256 and length (the mix's input). */
  legacyInput?: { sha256: string; durationSec: number };
  stems?: SeparationResult['stems'];
  wavs?: Record<string, string>;
  job?: Job;
  partialDir?: string;
  made?: Artifact;
  kept?: Artifact[];
  manifest?: Manifest;
  /** This worker's claim on the target's outputs (no other worker, on any host, adds a mix meanwhile). */
  mixClaim?: MixClaim;
  /** Ends this remix's turn among this worker's mixes of the target (taken with the claim). */
  endTurn?: () => void;
}

/**
 * Starts the partial folder of `job`'s outputs (kept in the state at once: removed if what follows fails)
 * and writes the mix into it.
 */
export async function writeMix(
  s: RemixState,
  job: Job,
  options: ReturnType<typeof manifestOptionsToResolved>,
  progress: ReportProgress,
): Promise<Artifact> {
  s.partialDir = await startOutputs(s.ctx.paths.outputs, job.job_id, s.ctx.consumerId, s.logger);
  const [made] = await writeOutputs({
    job,
    options,
    outDir: s.partialDir,
    variants: s.wavs!,
    stems: s.stems!,
    mixture: '',
    videoVariant: s.name,
    mix: true,
    // A mix reads only this worker's own files (stems, the mixed WAV); the remix bundle is the bound.
    within: s.claim.dir,
    signal: s.signal,
    progress,
    logger: s.logger,
  });
  return made!;
}
