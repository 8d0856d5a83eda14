import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, isImkError } from '@imk/errors';
import { sha256AndBytesOf, sha256File } from '@imk/fs-safe';
import { probeMedia, readWavDeclaredSeconds } from '@imk/media';
import { unknownJobOptions } from '@imk/protocol';
import { mixVariants } from '@imk/separation';
import {
  duplicateCandidates,
  duplicateManifest,
  findDuplicate,
  readPublishedManifest,
  sameOutputs,
} from './duplicates.ts';
import { checkDeclaredInput, checkVideoHeld, heldFile } from './bundle-files.ts';
import { decodeToWav, listenToDecode } from './decode-input.ts';
import { usableCover } from './cover.ts';
import { chooseEngine } from './engine-choice.ts';
import { damagedInputWarning } from './input-damage.ts';
import { namesFromTags } from './input-names.ts';
import { checkDuration } from './input-limits.ts';
import { buildManifest, channelsWarning, inputFacts, sampleRateWarning } from './manifest.ts';
import { makesStems, manifestOptions, resolveOptions } from './options.ts';
import { outputKey as outputKeyOf } from './output-key.ts';
import type { PipelineResult, PipelineState } from './pipeline.ts';
import { letGoOfOutputs, takeOutputs } from './outputs-hold.ts';
import { publishJob } from './publish-job.ts';
import { readSidecar } from './sidecar.ts';
import { separate, separatesNothing } from './separate-step.ts';
import { stemCacheKey } from './stem-cache.ts';
import type { StageSteps } from './stage-runner.ts';
import { chooseVideoVariant } from './video-variant.ts';
import { writeOutputs } from './write-outputs.ts';

/** Variants whose length differs from the input's by more than this get a warning in the manifest. */
const LENGTH_TOLERANCE_SEC = 0.05;

type Steps = StageSteps<PipelineState, PipelineResult>;
/** A duplicate job links the earlier job's files: it decodes, separates, mixes and encodes nothing. */
const isDuplicate = (s: PipelineState): boolean => s.duplicate !== undefined;

/** Sidecar, config and job options resolved; the engine chosen; a too-long input refused. */
const options: Steps['options'] = {
  async run(s) {
    const { ctx, job, inputFile, inputName } = s;
    const sidecar = await readSidecar(s.claim.dir, inputName);
    const resolved = resolveOptions(ctx.config, job, sidecar);
    // Before any scratch is written: a 10-hour file is refused here, not after gigabytes of decoding.
    // A file ffprobe cannot read fails in the decode stage, as before (that stage probes again and says why).
    // A probe that timed out is not tried again there: it would take as long, and fails the job now.
    const timeoutMs = ctx.config.probeTimeoutSec * 1000;
    s.probedInput = await probeMedia(inputFile, { signal: s.signal, timeoutMs, within: s.bundle }).catch(
      (error: unknown) => {
        if (isImkError(error, 'MEDIA_PROBE_TIMEOUT')) throw error;
        return undefined;
      },
    );
    if (s.probedInput) checkDuration(s.probedInput, inputName, ctx.config.maxDurationSec);
    // A job.json without a title: the files are named (and tagged) from the input's own tags, said in the
    // manifest (names_from), rather than after the job id.
    const named = namesFromTags(job, s.probedInput);
    s.job = named.job;
    s.namesFrom = named.from;
    s.warnings = [...s.song.warnings];
    s.cover = await usableCover(s.bundle, job.cover_path, s.warnings, s.logger, s);
    const unknownOptions = unknownJobOptions(job.options);
    if (unknownOptions.length > 0)
      s.warnings.push(
        `job.json options: ignored unknown keys ${unknownOptions.join(', ')} (misspelt, or options of a newer imk; docs/protocol.md lists them)`,
      );
    if (sidecar?.unknownKeys.length)
      s.warnings.push(`${sidecar.file}: ignored unknown keys ${sidecar.unknownKeys.join(', ')}`);
    if (sidecar?.warnings.length) s.warnings.push(...sidecar.warnings);
    if (resolved.videoOnly === true && !ctx.config.video.source && !ctx.config.video.instrumental)
      s.warnings.push(
        `the video job of a song fetched in mode both publishes its video only, and video.source and video.instrumental are both false in config/instrumental-maker.yaml: nothing is published for it (the audio job${job.paired_audio_job === undefined ? '' : ` ${job.paired_audio_job}`} publishes the song's variants and stems)`,
      );
    const chosen = await chooseEngine(ctx, resolved, s.logger, s.signal);
    if (chosen.warning !== undefined) s.warnings.push(chosen.warning);
    s.options = chosen.options;
    s.engine = chosen.engine;
    s.engineFacts = {
      name: chosen.engine.name,
      version: chosen.engine.version,
      params: chosen.engine.params,
    };
    return undefined;
  },
};

/**
 * The input's sha256, then what is known of it already: outputs an earlier attempt published (the job
 * ends here), a duplicate job to link from, stems in the cache.
 */
const hash: Steps['hash'] = {
  async run(s) {
    const { ctx, jobId, inputFile } = s;
    // The descriptor opened when the job started, which every later step reads: hashed even when job.json
    // declares a hash (checked at claim, of the file then), so that the hash recorded and the stems cached
    // under it are of the file separated, whatever was renamed over its name since. The size is of the
    // bytes hashed, never a stat of the name.
    const { sha256: inputSha256, bytes } = await sha256AndBytesOf(heldFile(s.bundle, inputFile));
    // …and what is separated must be what job.json declares (checked at claim on a read of its own).
    checkDeclaredInput(s.job, s.inputName, { sha256: inputSha256, bytes }, s.claim.jobId);
    // A video beside the song: hashed into the output key here, put under the variant at the encode.
    if (s.job.video_path !== undefined && s.job.video_path !== s.inputName)
      checkVideoHeld(s.bundle, jobId, s.job.video_path);
    const engine = s.engineFacts!;
    const outputKey = await outputKeyOf({
      job: s.job,
      bundle: s.bundle,
      inputName: s.inputName,
      inputSha256,
      engine,
      options: s.options!,
      config: ctx.config,
    });
    s.inputSha256 = inputSha256;
    s.inputBytes = bytes;
    s.outputKey = outputKey;
    // An earlier attempt may have published and then died before archiving the claim: nothing to redo.
    const dir = join(ctx.paths.outputs, jobId);
    const published = await readPublishedManifest(dir);
    if (sameOutputs(published, inputSha256, outputKey) && published!.job_id === jobId) {
      s.logger.info('outputs of this job were already published by an earlier attempt; completing');
      return { kind: 'resumed', dir, manifest: published!, inputSha256 };
    }
    // The job's own option wins over config: the dashboard's "Separate again" asks for "process".
    if ((s.job.options?.duplicates ?? ctx.config.duplicates) === 'skip') {
      const earlier = await duplicateCandidates(ctx, inputSha256, outputKey, jobId);
      // Linking is quick: the claim on the outputs is taken for it only when there is an earlier job to link.
      if (earlier.length > 0) {
        const partialDir = await takeOutputs(s);
        const found = await findDuplicate({
          inputSha256,
          outputKey,
          earlier,
          partialDir,
          logger: s.logger,
        });
        s.duplicate = found.duplicate;
        s.warnings.push(...found.warnings);
        // Not linked after all: the job is processed, and lets go of its outputs until it writes them.
        if (!s.duplicate) await letGoOfOutputs(s);
      }
    }
    // The video half of a mode "both" pair without the instrumental video needs no stems: none looked for.
    if (s.duplicate || !makesStems(s.options!, ctx.config)) return undefined;
    s.cacheKey = stemCacheKey({ inputSha256, engine });
    s.separation = await ctx.cache?.lookup(s.cacheKey);
    return undefined;
  },
};

/** The input decoded to the float WAV the engine reads (not needed when the stems came from the cache). */
const decode: Steps['decode'] = {
  skip: isDuplicate,
  async run(s, progress) {
    const timeoutMs = s.ctx.config.probeTimeoutSec * 1000;
    const probed =
      s.probedInput ?? (await probeMedia(s.inputFile, { signal: s.signal, timeoutMs, within: s.bundle }));
    s.info = probed;
    // ffprobe and ffmpeg take a WAV for as long as what it holds: one cut short is told by its header.
    if (probed.format === 'wav')
      s.declaredInputSec = await readWavDeclaredSeconds(s.inputFile, { within: s.bundle });
    // Nothing is made of its sound (the video half of a pair without the instrumental video): not decoded.
    if (!makesStems(s.options!, s.ctx.config)) return undefined;
    s.decoded = s.separation === undefined;
    const heard = (lines: string[]): void => {
      s.decodeErrors = lines;
    };
    if (s.decoded) {
      await decodeToWav(s.inputFile, s.mixture, probed, s.signal, progress, s.bundle, undefined, heard);
      // The samples the engine reads, by which another file of the same audio finds its stems (separate).
      if (s.ctx.cache) s.audioSha256 = await sha256File(s.mixture);
      return undefined;
    }
    // Stems from the cache need no decoded mixture (variants that need one decode the input themselves), and
    // what ffmpeg said of the input's damage when they were made is kept with them: quoted, not heard again.
    const kept = s.separation!.decodeErrors;
    if (kept !== undefined) {
      if (kept.length > 0) s.decodeErrors = [...kept];
      return undefined;
    }
    // An entry stored before they were kept: the input is read to its end once, and what ffmpeg said stored.
    await listenToDecode(s.inputFile, probed, s.signal, progress, s.bundle, heard);
    // Not kept (a read-only cache): the next hit reads the input again; the job goes on.
    await s.ctx.cache
      ?.recordDecodeErrors(s.cacheKey!, s.decodeErrors ?? [], s.inputFile)
      .catch((error: unknown) =>
        s.logger.warn(
          { err: errorMessage(error) },
          "the stem cache entry could not keep ffmpeg's words on the input",
        ),
      );
    return undefined;
  },
};

/** Each variant's WAV, mixed from the stems (and the mixture), then re-keyed or re-timed. */
const mix: Steps['mix'] = {
  skip: separatesNothing,
  async run(s) {
    const { ctx, job } = s;
    const video = chooseVideoVariant(s.options!, ctx.config, job.video_path !== undefined);
    s.videoVariant = video.name;
    s.videoRecipe = video.recipe;
    const outDir = join(s.work, 'variants');
    await mkdir(outDir, { recursive: true });
    // The video half of a mode "both" pair publishes no audio variant: only the video's sound is mixed.
    const recipes =
      s.options!.videoOnly === true ? { [video.name]: video.recipes[video.name]! } : video.recipes;
    // The decoded mixture is the input exactly as the engine saw it: no second decode.
    const mixture = s.decoded ? s.mixture : s.inputFile;
    s.variantWavs = await mixVariants({
      stems: s.separation!.stems,
      mixture,
      recipes,
      outDir,
      // The stems came from the cache: the mixture is the bundle's own file, read from its descriptor.
      within: s.bundle,
      signal: s.signal,
    });
    return undefined;
  },
};

/** The files of the outputs folder, each described (sha256, probe, loudness) as soon as it is written. */
const encode: Steps['encode'] = {
  skip: isDuplicate,
  async run(s, progress) {
    const { ctx, job, claim } = s;
    const video = job.video_path === undefined ? undefined : join(claim.dir, job.video_path);
    const outDir = await takeOutputs(s);
    s.artifacts = await writeOutputs({
      job,
      options: s.options!,
      outDir,
      variants: s.variantWavs ?? {},
      stems: s.separation?.stems,
      mixture: s.inputFile,
      video: ctx.config.video.instrumental ? video : undefined,
      sourceVideo: ctx.config.video.source ? video : undefined,
      videoVariant: s.videoVariant,
      videoRecipe: s.videoRecipe,
      cover: s.cover,
      within: s.bundle,
      signal: s.signal,
      progress,
      logger: s.logger,
    });
    return undefined;
  },
};

/** The variant under a video half's picture, for its manifest (none without the instrumental video). */
function videoSound(s: PipelineState): string | undefined {
  const { config } = s.ctx;
  if (s.options!.videoOnly !== true || !config.video.instrumental) return undefined;
  return s.videoVariant ?? chooseVideoVariant(s.options!, config, true).name;
}

/** EBU R128's gating block, in seconds: an input shorter than one has no integrated loudness. */
const R128_BLOCK_SEC = 0.4;

/** The manifest, from the one builder: of the files made, or (a duplicate) of the earlier job's files linked. */
const manifest: Steps['manifest'] = {
  // Nothing to wait for: every fact was taken by the stages before (the input's by the hash stage).
  run(s) {
    const { stages } = s;
    if (s.duplicate) {
      s.manifest = duplicateManifest({
        job: s.job,
        inputName: s.inputName,
        duplicate: s.duplicate,
        partialDir: s.partialDir!,
        outputKey: s.outputKey!,
        warnings: s.warnings,
        stages,
        options: manifestOptions(s.options!, videoSound(s)),
        ...(s.namesFrom !== undefined && { namesFrom: s.namesFrom }),
      });
      return Promise.resolve(undefined);
    }
    // None when nothing was made of the input's sound (the video half of a pair without the instrumental video).
    const separation = s.separation;
    const facts = inputFacts(
      s.inputName,
      { sha256: s.inputSha256!, bytes: s.inputBytes! },
      s.info!,
      separation,
    );
    for (const artifact of s.artifacts!) {
      if (
        artifact.kind === 'audio' &&
        // A tempo change makes a variant longer or shorter on purpose: 0.8x lasts 1.25 times the input.
        Math.abs(artifact.duration_sec - facts.duration_sec / (artifact.tempo ?? 1)) > LENGTH_TOLERANCE_SEC
      )
        s.warnings.push(
          `${artifact.path} lasts ${artifact.duration_sec} s but the input ${facts.duration_sec} s`,
        );
    }
    // A file cut short or damaged still decodes, to less than its header declares (ffprobe's length: the
    // manifest's is the length decoded): said first, as what it likely is, before the files' own lengths.
    const probedSec =
      Math.round((s.info!.audio?.duration_sec ?? s.info!.duration_sec ?? facts.duration_sec) * 1e6) / 1e6;
    const decodedSec =
      separation === undefined
        ? facts.duration_sec
        : Math.round((separation.frames / separation.sampleRate) * 1e3) / 1e3;
    const damaged =
      separation &&
      damagedInputWarning({
        name: s.inputName,
        format: s.info?.format,
        declaredSec:
          s.declaredInputSec === undefined
            ? probedSec
            : Math.round(Math.max(s.declaredInputSec, probedSec) * 1e6) / 1e6,
        decodedSec,
        decodeErrors: s.decodeErrors,
        path: s.inputFile,
      });
    if (damaged !== undefined) s.warnings.unshift(damaged);
    // A 96 kHz input whose files are 44.1 kHz is said, with both rates, not left for the user to find.
    const rateWarning = sampleRateWarning(facts, s.artifacts!, s.options!.sampleRate);
    if (rateWarning !== undefined) s.warnings.push(rateWarning);
    const downmix = channelsWarning(facts, s.artifacts!);
    if (downmix !== undefined) s.warnings.push(downmix);
    // Silence in, silence out, and "succeeded": said, so that a broken download is not taken for a song.
    // EBU R128 measures in 0.4 s blocks: a shorter input has no integrated loudness, silent or not.
    const measured = s.artifacts!.filter((a) => a.kind === 'audio' && a.loudness !== undefined);
    const unmeasured = measured.length > 0 && measured.every((a) => a.loudness!.integrated_lufs === null);
    if (unmeasured && decodedSec < R128_BLOCK_SEC)
      s.warnings.push(
        `the input ${s.inputName} lasts ${decodedSec} s, less than the ${R128_BLOCK_SEC} s EBU R128 needs to measure loudness: the files' loudness is not measured (integrated_lufs null)`,
      );
    else if (unmeasured)
      s.warnings.push(
        `the input ${s.inputName} is silent (below the -70 LUFS gate of EBU R128): every file made from it is silent too; check the download or the file`,
      );
    s.manifest = buildManifest({
      job: s.job,
      artifacts: s.artifacts!,
      input: facts,
      engine: s.engineFacts!,
      options: manifestOptions(s.options!, videoSound(s)),
      timings: { ...stages.timings, manifest: stages.elapsedSec() },
      warnings: s.warnings,
      stemsGenerated: separation !== undefined,
      nullResidualDb: separation?.nullResidualDb,
      outputKey: s.outputKey!,
      ...(s.namesFrom !== undefined && { namesFrom: s.namesFrom }),
    });
    return Promise.resolve(undefined);
  },
};

/** The partial folder renamed into outputs/<job_id>/ while the claim is still held; the job's result. */
const publish: Steps['publish'] = {
  run: (s) =>
    publishJob(
      s,
      {
        jobId: s.jobId,
        partialDir: s.partialDir!,
        manifest: s.manifest!,
        kind: s.duplicate ? 'duplicate' : 'processed',
        inputSha256: s.inputSha256!,
      },
      () => s.mixClaim!.confirm(),
    ),
};

/** One step per stage of STAGES (a missing one is a type error here, and refused by runStages). */
export const PIPELINE_STEPS: Steps = { options, hash, decode, separate, mix, encode, manifest, publish };
