import { ImkError, isImkError } from '@imk/errors';
import type { Manifest } from '@imk/protocol';
import { outputNameError } from './output-name.ts';
import type { PipelineResult, PipelineState } from './pipeline.ts';
import { publishOutputs } from './publish-outputs.ts';

/** Publishes a job's partial folder as outputs/<jobId>/ while its claim is still held: the job's result. */
export async function publishJob(
  s: Pick<PipelineState, 'ctx' | 'claim' | 'logger'>,
  made: { jobId: string; partialDir: string; manifest: Manifest } & Pick<
    PipelineResult,
    'kind' | 'inputSha256'
  >,
  /** Another claim the publishing needs still held (the claim on the job's outputs that mixes take too). */
  alsoHeld?: () => Promise<boolean>,
): Promise<PipelineResult> {
  const out = await publishOutputs({
    outputsDir: s.ctx.paths.outputs,
    jobId: made.jobId,
    partialDir: made.partialDir,
    manifest: made.manifest,
    stillHeld: async () => (await s.claim.confirm()) && (alsoHeld === undefined || (await alsoHeld())),
    logger: s.logger,
  }).catch(async (error: unknown) => {
    // Not published because a cancel was asked for (confirm() answers false for it too): the job stops, as
    // at any other stage, rather than failing with "claim lost". The partial folder is already removed.
    if (isImkError(error, 'CLAIM_LOST') && s.claim.cancelRequested())
      throw new ImkError(
        'CANCELLED',
        `job ${s.claim.jobId} was cancelled before its outputs were published; nothing was published`,
        { cause: error },
      );
    // outputs/<job_id> itself: a share may take ".<id>.partial-…" but not "<id>" (a trailing dot, "CON").
    throw await outputNameError(error, made.jobId, s.ctx.paths.outputs);
  });
  const { kind, manifest, inputSha256 } = made;
  return {
    kind,
    dir: out.dir,
    manifest,
    inputSha256,
    ...(out.replaced !== undefined && { replaced: out.replaced }),
  };
}
