import type { PipelineState } from './pipeline.ts';
import { claimMix } from './mix-claim.ts';
import { outputNameError } from './output-name.ts';
import { discardOutputs, startOutputs } from './publish-outputs.ts';

/**
 * Takes the claim on outputs/<job_id>/ that mixes of this job take too (on any worker or host), then
 * starts the job's partial folder; returns that folder. Taken only for the writing of the outputs (encode
 * or linking a duplicate, manifest, publish), not through decode and separation: a mix saved meanwhile
 * waits seconds, not the minutes of a separation. A mix being saved makes this run wait, and a run of
 * the job (published again after its archive was cleaned up, or retried) makes a
 * mix wait, so neither removes nor publishes over the other's folder. Held until the outputs are published
 * or discarded (runPipeline).
 */
export async function takeOutputs(s: PipelineState): Promise<string> {
  const { ctx, jobId } = s;
  if (s.partialDir !== undefined) return s.partialDir;
  try {
    s.mixClaim ??= await claimMix({
      outputsDir: ctx.paths.outputs,
      jobId,
      consumerId: ctx.consumerId,
      leaseMs: ctx.config.leaseMs,
      pollMs: ctx.config.pollMs,
      signal: s.signal,
      logger: s.logger,
    });
    s.partialDir = await startOutputs(ctx.paths.outputs, jobId, ctx.consumerId, s.logger);
  } catch (error) {
    // The first folders named by the job id in outputs/: a share that refuses the id says so here.
    throw await outputNameError(error, jobId, ctx.paths.outputs);
  }
  return s.partialDir;
}

/** Removes the partial folder and releases the claim on the outputs, to be taken again to write them. */
export async function letGoOfOutputs(s: PipelineState): Promise<void> {
  await discardOutputs(s.partialDir);
  s.partialDir = undefined;
  await s.mixClaim?.release();
  s.mixClaim = undefined;
}
