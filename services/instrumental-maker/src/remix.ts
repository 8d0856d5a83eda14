import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ImkError } from '@imk/errors';
import type { Job, Manifest, Remix } from '@imk/protocol';
import { formatVariantRef, mixVariants, type VariantRecipe } from '@imk/separation';
import { linkArtifacts, readPublishedManifest } from './duplicates.ts';
import { buildManifest } from './manifest.ts';
import { manifestOptionsToResolved } from './remix-options.ts';
import type { PipelineInput, PipelineResult } from './pipeline.ts';
import { publishOutputs, startOutputs } from './publish-outputs.ts';
import { stemCacheKey } from './stem-cache.ts';
import { writeOutputs } from './write-outputs.ts';

/**
 * A remix job (saved from the page's mixer): mixes an earlier job's stems, read from the stem cache (no new
 * separation), at the levels asked, then key/tempo; the variant joins that job's outputs under a new
 * manifest, published as any job's outputs are (files linked, manifest written last, one rename), so
 * nas-sync delivers it like any other artifact. A re-save under the same name replaces the earlier file.
 */
export async function runRemix(input: Omit<PipelineInput, 'song'>, remix: Remix): Promise<PipelineResult> {
  const { ctx, claim, stages, signal, work } = input;
  const target = remix.of;
  const sourceDir = join(ctx.paths.outputs, target);
  const source = await stages.run('options', async () => {
    const manifest = await readPublishedManifest(sourceDir);
    if (manifest === undefined)
      throw new ImkError(
        'REMIX_SOURCE_MISSING',
        `remix ${claim.jobId}: job ${target} has no published outputs (outputs/${target}/manifest.json) to add a mix to`,
        { retryable: false, details: { job_id: target } },
      );
    return manifest;
  });
  const stems = await stages.run('separate', async () => {
    const key = stemCacheKey({ inputSha256: source.input.sha256, engine: source.engine });
    const cached = await ctx.cache?.lookup(key);
    if (cached === undefined)
      throw new ImkError(
        'STEMS_NOT_CACHED',
        `remix ${claim.jobId}: the stems of job ${target} are no longer in the stem cache (cleaned up, or the cache is off); separate the song again, then save the mix`,
        { retryable: false, details: { job_id: target } },
      );
    stages.mark('cache_hit');
    return cached.stems;
  });
  const name = formatVariantRef({ base: remix.variant, pitch: remix.pitch, tempo: remix.tempo });
  const recipe: VariantRecipe = {
    stems: remix.stems,
    ...(remix.pitch !== undefined && { pitch: remix.pitch }),
    ...(remix.tempo !== undefined && { tempo: remix.tempo }),
    label: remix.label ?? `Mix: ${remix.variant.replace(/_/g, ' ')}`,
  };
  const wavs = await stages.run('mix', async () => {
    const outDir = join(work, 'variants');
    await mkdir(outDir, { recursive: true });
    return mixVariants({ stems, recipes: { [name]: recipe }, outDir, signal });
  });

  const job: Job = {
    job_id: target,
    source_type: source.source_type,
    artist: source.artist,
    album: source.album,
    title: source.title,
    audio_path: source.input.path ?? 'input',
  };
  const options = manifestOptionsToResolved(ctx.config, source, name, recipe);
  const partialDir = await startOutputs(ctx.paths.outputs, target, ctx.consumerId, input.logger);
  const [made] = await stages.run('encode', (progress) =>
    writeOutputs({
      job,
      options,
      outDir: partialDir,
      variants: wavs,
      stems,
      mixture: '',
      videoVariant: name,
      signal,
      progress,
    }),
  );
  const kept = source.artifacts.filter((a) => a.path !== made!.path);
  await linkArtifacts(sourceDir, { ...source, artifacts: kept }, partialDir);

  const manifest: Manifest = await stages.run('manifest', () =>
    Promise.resolve(
      buildManifest({
        job: {
          ...job,
          ...(source.youtube && { youtube: source.youtube }),
          ...(source.validation && { validation: source.validation }),
        },
        artifacts: [...kept, made!],
        input: source.input,
        engine: source.engine,
        options: source.options ?? {},
        timings: source.timings_sec ?? {},
        warnings: source.warnings ?? [],
        stemsGenerated: source.stems_generated,
        nullResidualDb: source.null_residual_db,
        outputKey: typeof source.output_key === 'string' ? source.output_key : '',
        ...(source.duplicate_of !== undefined && { duplicateOf: source.duplicate_of }),
      }),
    ),
  );
  if (signal.aborted) throw new ImkError('ABORTED', `remix ${claim.jobId} was stopped before publishing`);
  const out = await stages.run('publish', () =>
    publishOutputs({
      outputsDir: ctx.paths.outputs,
      jobId: target,
      partialDir,
      manifest,
      stillHeld: () => claim.confirm(),
      logger: input.logger,
    }),
  );
  return {
    kind: 'processed',
    dir: out.dir,
    manifest,
    inputSha256: source.input.sha256,
    ...(out.replaced !== undefined && { replaced: out.replaced }),
  };
}
