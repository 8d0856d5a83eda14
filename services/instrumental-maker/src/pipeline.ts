import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ImkError } from '@imk/errors';
import { sha256Buffer, sha256File } from '@imk/fs-safe';
import type { Logger } from '@imk/log';
import { probeMedia, type MediaInfo } from '@imk/media';
import { checkDuration } from './input-limits.ts';
import type { Claim } from '@imk/fsqueue';
import type { BundleSong, Manifest } from '@imk/protocol';
import { mixVariants, nullResidualDb, type SeparationEngine, type SeparationResult } from '@imk/separation';
import type { WorkerContext } from './context.ts';
import { duplicateManifest, findDuplicate, readPublishedManifest, sameOutputs } from './duplicates.ts';
import { decodeToWav } from './decode-input.ts';
import { chooseEngine } from './engine-choice.ts';
import { buildManifest, inputFacts } from './manifest.ts';
import { manifestOptions, outputFingerprint, resolveOptions, type ResolvedOptions } from './options.ts';
import { publishOutputs, startOutputs } from './publish-outputs.ts';
import { readSidecar } from './sidecar.ts';
import { canonicalJson, stemCacheKey } from './stem-cache.ts';
import type { StageRunner } from './stage-runner.ts';
import { writeOutputs } from './write-outputs.ts';

/** Variants whose length differs from the input's by more than this get a warning in the manifest. */
const LENGTH_TOLERANCE_SEC = 0.05;

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
  logger: Logger;
  /** This job's scratch folder (empty, removed by the caller). */
  work: string;
  /**
   * The song of the bundle to make (a legacy `audio_files` bundle holds several, each published under its
   * own id). @default the bundle's one song, as `bundleSongs` gives it
   */
  song: BundleSong;
}

interface Prepared {
  options: ResolvedOptions;
  engine: SeparationEngine;
  warnings: string[];
}

export async function runPipeline(input: PipelineInput): Promise<PipelineResult> {
  const { ctx, claim, stages, signal, work } = input;
  const { job } = input.song;
  const jobId = job.job_id;
  const inputName = job.audio_path ?? job.video_path!;
  const inputFile = join(claim.dir, inputName);

  let probedInput: MediaInfo | undefined;
  const { options, engine, warnings } = await stages.run('options', async (): Promise<Prepared> => {
    const sidecar = await readSidecar(claim.dir, inputName);
    const resolved = resolveOptions(ctx.config, job, sidecar);
    // Before any scratch is written: a 10-hour file is refused here, not after gigabytes of decoding.
    // A file ffprobe cannot read fails in the decode stage, as before (that stage probes again and says why).
    probedInput = await probeMedia(inputFile, { signal }).catch(() => undefined);
    if (probedInput) checkDuration(probedInput, inputName, ctx.config.maxDurationSec);
    const notes = [...input.song.warnings];
    if (sidecar?.unknownKeys.length)
      notes.push(`${sidecar.file}: ignored unknown keys ${sidecar.unknownKeys.join(', ')}`);
    const chosen = await chooseEngine(ctx, resolved, input.logger);
    if (chosen.warning !== undefined) notes.push(chosen.warning);
    return { options: chosen.options, engine: chosen.engine, warnings: notes };
  });
  const engineFacts = { name: engine.name, version: engine.version, params: engine.params };

  const inputSha256 = await stages.run('hash', async () => {
    const declared = job.files?.find((file) => file.path === inputName)?.sha256;
    // fsqueue verified declared hashes when it claimed the bundle.
    return declared ?? (await sha256File(inputFile));
  });
  const outputKey = sha256Buffer(canonicalJson({ engine: engineFacts, outputs: outputFingerprint(options) }));
  const outputsDir = ctx.paths.outputs;

  // An earlier attempt may have published and then died before archiving the claim: nothing to redo.
  const published = await readPublishedManifest(join(outputsDir, jobId));
  if (sameOutputs(published, inputSha256, outputKey) && published!.job_id === jobId) {
    input.logger.info('outputs of this job were already published by an earlier attempt; completing');
    return { kind: 'resumed', dir: join(outputsDir, jobId), manifest: published!, inputSha256 };
  }

  const partialDir = await startOutputs(outputsDir, jobId, ctx.consumerId, input.logger);
  const publish = async (manifest: Manifest) => {
    if (signal.aborted) throw new ImkError('ABORTED', `job ${jobId} was stopped before publishing`);
    const out = await stages.run('publish', () =>
      publishOutputs({
        outputsDir,
        jobId,
        partialDir,
        manifest,
        stillHeld: () => claim.confirm(),
        logger: input.logger,
      }),
    );
    return { dir: out.dir, ...(out.replaced !== undefined && { replaced: out.replaced }) };
  };

  // The job's own option wins over config: the dashboard's "Separate again" asks for "process".
  const duplicate =
    (job.options?.duplicates ?? ctx.config.duplicates) === 'skip'
      ? await findDuplicate(ctx, jobId, inputSha256, outputKey)
      : undefined;
  if (duplicate) {
    const manifest = await stages.run('manifest', () =>
      duplicateManifest({
        job,
        inputName,
        duplicate,
        partialDir,
        outputKey,
        warnings,
        stages,
        options: manifestOptions(options),
      }),
    );
    return { kind: 'duplicate', ...(await publish(manifest)), manifest, inputSha256 };
  }

  const cacheKey = stemCacheKey({ inputSha256, engine: engineFacts });
  let separation: (SeparationResult & { nullResidualDb?: number }) | undefined =
    await ctx.cache?.lookup(cacheKey);
  const mixture = join(work, 'mixture.wav');
  // Stems from the cache need no decoded mixture; variants that need one then decode the input themselves.
  const decoded = separation === undefined;

  const info: MediaInfo = await stages.run('decode', async (progress) => {
    const probed = probedInput ?? (await probeMedia(inputFile, { signal }));
    if (!decoded) return probed;
    await decodeToWav(inputFile, mixture, probed, signal, progress);
    return probed;
  });

  separation = await stages.run('separate', async (progress) => {
    if (separation !== undefined) {
      stages.mark('cache_hit');
      input.logger.info({ key: cacheKey }, 'stems found in the cache; the engine is not run');
      return separation;
    }
    const engineDir = ctx.cache ? await ctx.cache.workDir(cacheKey) : join(work, 'stems');
    await mkdir(engineDir, { recursive: true });
    try {
      const result = await engine.separate({
        input: mixture,
        workDir: engineDir,
        signal,
        onProgress: progress,
        logger: input.logger.child({ component: 'engine', engine: engine.name }),
      });
      const residual = await nullResidualDb(mixture, result.stems, { signal });
      if (!ctx.cache) return { ...result, nullResidualDb: residual };
      return await ctx.cache.store(
        cacheKey,
        { inputSha256, engine: engineFacts },
        result,
        engineDir,
        residual,
      );
    } catch (error) {
      if (ctx.cache) await ctx.cache.discard(engineDir);
      throw error;
    }
  });
  const stems = separation.stems;

  const videoVariant = options.recipes[ctx.config.video.variant]
    ? ctx.config.video.variant
    : options.variants[0]!;
  const variantWavs = await stages.run('mix', async () => {
    const outDir = join(work, 'variants');
    await mkdir(outDir, { recursive: true });
    const recipes = { ...options.recipes };
    if (job.video_path !== undefined && ctx.config.video.instrumental && recipes[videoVariant] === undefined)
      recipes[videoVariant] = ctx.config.recipes[videoVariant]!;
    // The decoded mixture is the input exactly as the engine saw it: no second decode.
    return mixVariants({ stems, mixture: decoded ? mixture : inputFile, recipes, outDir, signal });
  });

  // Each file is described (sha256, probe, loudness) as soon as it is written, inside the encode stage.
  const artifacts = await stages.run('encode', (progress) =>
    writeOutputs({
      job,
      options,
      outDir: partialDir,
      variants: variantWavs,
      stems,
      mixture: inputFile,
      video:
        job.video_path === undefined || !ctx.config.video.instrumental
          ? undefined
          : join(claim.dir, job.video_path),
      sourceVideo:
        job.video_path === undefined || !ctx.config.video.source
          ? undefined
          : join(claim.dir, job.video_path),
      videoVariant,
      cover: job.cover_path === undefined ? undefined : join(claim.dir, job.cover_path),
      signal,
      progress,
    }),
  );

  const manifest = await stages.run('manifest', async () => {
    const facts = await inputFacts(inputFile, inputName, inputSha256, info, separation);
    for (const artifact of artifacts) {
      if (
        artifact.kind === 'audio' &&
        // A tempo change makes a variant longer or shorter on purpose: 0.8x lasts 1.25 times the input.
        Math.abs(artifact.duration_sec - facts.duration_sec / (artifact.tempo ?? 1)) > LENGTH_TOLERANCE_SEC
      )
        warnings.push(
          `${artifact.path} lasts ${artifact.duration_sec} s but the input ${facts.duration_sec} s`,
        );
    }
    return buildManifest({
      job,
      artifacts,
      input: facts,
      engine: engineFacts,
      options: manifestOptions(options),
      timings: { ...stages.timings, manifest: stages.elapsedSec() },
      warnings,
      stemsGenerated: true,
      nullResidualDb: separation.nullResidualDb,
      outputKey,
    });
  });

  return { kind: 'processed', ...(await publish(manifest)), manifest, inputSha256 };
}
