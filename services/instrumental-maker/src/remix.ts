import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ImkError } from '@imk/errors';
import { isSavedMix, mixFileVerdict, type Job, type Manifest, type Remix } from '@imk/protocol';
import { formatVariantRef, mixVariants, type VariantRecipe } from '@imk/separation';
import { readPublishedManifest } from './duplicates.ts';
import { linkArtifacts } from './link-artifacts.ts';
import { claimMix } from './mix-claim.ts';
import { addedFileWarnings, buildManifest } from './manifest.ts';
import { manifestOptionsToResolved } from './remix-options.ts';
import { cacheLegacyStems, legacyRemixSource, legacyStemsHere, stemsOfEarlierMix } from './remix-legacy.ts';
import { encodeLegacyMix, legacyMixManifest } from './remix-legacy-mix.ts';
import { writeMix, type RemixState } from './remix-state.ts';
import { separateAgainHere } from './remix-source.ts';
import type { PipelineInput, PipelineResult } from './pipeline.ts';
import { publishJob } from './publish-job.ts';
import { discardOutputs } from './publish-outputs.ts';
import { runStages, type ReportProgress, type StageSteps } from './stage-runner.ts';
import { stemCacheKey } from './stem-cache.ts';
import './errors.ts';

type Steps = StageSteps<RemixState, PipelineResult>;

/**
 * A mix replaces only an earlier save of itself (same name, a mix: not one of the variants the job made).
 * Any other file already at its path (the job's instrumental for a mix named "instrumental", its no_drums
 * for "no_drum", another mix saved at tempo 0.8999 for one at 0.9: all written under one file name) is
 * never replaced. The rule is @imk/protocol's mixFileVerdict, which the dashboard applies before queuing.
 */
function refuseTakenFile(s: RemixState, source: Manifest, remix: Remix): void {
  const verdict = mixFileVerdict(source, remix);
  if (verdict === undefined || verdict.kind === 'same') return;
  throw new ImkError('REMIX_NAME_TAKEN', `remix ${s.claim.jobId}: ${verdict.problem}`, {
    details: { job_id: s.target, path: verdict.artifact.path, field: verdict.field },
  });
}

/** A remix has its input (cached stems) already: nothing to hash or decode. */
const nothing = { skip: () => true, run: () => Promise.resolve(undefined) };

/** The target job's published manifest, or why a mix cannot join it. */
async function readSource(s: RemixState): Promise<Manifest> {
  const manifest = await readPublishedManifest(s.sourceDir);
  if (manifest === undefined)
    throw new ImkError(
      'REMIX_SOURCE_MISSING',
      `remix ${s.claim.jobId}: job ${s.target} has no published outputs (outputs/${s.target}/manifest.json) to add a mix to`,
      { details: { job_id: s.target } },
    );
  return manifest;
}

const keyOf = (source: Manifest) => stemCacheKey({ inputSha256: source.input.sha256, engine: source.engine });

/**
 * The stems of the source's song: from the stem cache, or separated again from its archived song. One
 * remix of a job at a time on this worker looks (a second mix saved meanwhile finds the stems the first
 * stored); no claim on the job's outputs is held meanwhile, so mixes on other workers and the job's own
 * runs are not kept waiting through a separation.
 */
async function findStems(s: RemixState, progress: ReportProgress): Promise<void> {
  const source = s.source!;
  const endTurn = await waitForTurn(separating, turnKey(s, s.target), s.target, s, 'to look for its stems');
  try {
    const cached = await s.ctx.cache?.lookup(keyOf(source));
    if (cached !== undefined) {
      s.stages.mark('cache_hit');
      s.stems = cached.stems;
      return;
    }
    // A mix of an earlier-version output: its stems are that output's files, read again.
    const stemsOf = source.input.stems_of;
    if (stemsOf !== undefined) {
      s.stems = await stemsOfEarlierMix({
        cache: s.ctx.cache,
        outputsDir: s.ctx.paths.outputs,
        remixId: s.claim.jobId,
        target: s.target,
        stemsOf,
        sha256: source.input.sha256,
        work: s.work,
        signal: s.signal,
        progress,
        logger: s.logger,
      });
      return;
    }
    // Another host separated the song (the cache is per host by default), or its stems were cleaned up.
    s.stems = await separateAgainHere({
      ctx: s.ctx,
      remixId: s.claim.jobId,
      target: s.target,
      source,
      work: s.work,
      signal: s.signal,
      progress,
      logger: s.logger,
    });
  } finally {
    endTurn();
  }
}

async function mixStems(s: RemixState): Promise<void> {
  const outDir = join(s.work, 'variants');
  await mkdir(outDir, { recursive: true });
  const recipes = { [s.name]: s.recipe };
  s.wavs = await mixVariants({ stems: s.stems!, recipes, outDir, signal: s.signal });
}

/**
 * Takes the claim on the target's outputs (after this worker's earlier mixes of it), only now that the mix
 * is made, and reads the target's manifest again under it: a mix published meanwhile is kept beside this
 * one. Should the job have been made again meanwhile from another song or engine (its stems are other),
 * the mix is made again from those.
 */
async function takeOutputs(s: RemixState, progress: ReportProgress): Promise<void> {
  await claimOutputs(s, s.target);
  const latest = await readSource(s);
  const changed = keyOf(latest) !== keyOf(s.source!);
  s.source = latest;
  if (changed) {
    s.logger.info({ job_id: s.target }, `job ${s.target} was made again meanwhile; mixing its new stems`);
    await findStems(s, () => undefined);
    await mixStems(s);
  }
  progress(0);
}

/** This worker's turn among its mixes of `jobId`'s outputs, then the claim on them (across workers and hosts). */
async function claimOutputs(s: RemixState, jobId: string): Promise<void> {
  s.endTurn = await waitForTurn(mixing, turnKey(s, jobId), jobId, s, 'to finish writing its outputs');
  s.mixClaim = await claimMix({
    outputsDir: s.ctx.paths.outputs,
    jobId,
    consumerId: s.ctx.consumerId,
    leaseMs: s.ctx.config.leaseMs,
    pollMs: s.ctx.config.pollMs,
    signal: s.signal,
    logger: s.logger,
  });
}

const STEPS: Steps = {
  options: {
    async run(s) {
      // The earlier version kept no stem cache: its output is mixed from the stem WAVs it left in its
      // folder (or refused, saying so, when they are not all there).
      s.legacy = await legacyRemixSource(s.sourceDir, s.claim.jobId, s.target);
      if (s.legacy === undefined) s.source = await readSource(s);
      return undefined;
    },
  },
  hash: nothing,
  decode: nothing,
  separate: {
    async run(s, progress) {
      if (s.legacy !== undefined) {
        const made = await legacyStemsHere({
          source: s.legacy,
          target: s.target,
          work: s.work,
          signal: s.signal,
          progress,
        });
        // Kept in the stem cache under the mix job's key: that job is mixed again as ours are.
        s.stems = await cacheLegacyStems(s.ctx.cache, made, s.logger);
        s.legacyInput = { sha256: made.sha256, durationSec: made.durationSec };
        return undefined;
      }
      await findStems(s, progress);
      return undefined;
    },
  },
  mix: {
    async run(s) {
      await mixStems(s);
      return undefined;
    },
  },
  encode: {
    // The new file, then the target's other files linked beside it (a re-save replaces the earlier file).
    async run(s, progress) {
      if (s.legacy !== undefined) {
        // A job of its own (the earlier version's folder is left as it is): its own outputs are claimed.
        await claimOutputs(s, s.claim.jobId);
        return encodeLegacyMix(s, progress);
      }
      await takeOutputs(s, progress);
      const source = s.source!;
      const job: Job = {
        job_id: s.target,
        source_type: source.source_type,
        artist: source.artist,
        album: source.album,
        title: source.title,
        audio_path: source.input.path ?? 'input',
      };
      const options = manifestOptionsToResolved(s.ctx.config, source, s.name, s.recipe);
      refuseTakenFile(s, source, s.remix);
      const made = await writeMix(s, job, options, progress);
      // The earlier save of this mix is replaced, also when it was written under another file name (before
      // a mix was named by its own name, one named "vocals" was written as "(a cappella)").
      const earlier = (a: Manifest['artifacts'][number]) => a.variant === s.name && isSavedMix(source, a);
      const kept = source.artifacts.filter((a) => a.path !== made.path && !earlier(a));
      await linkArtifacts(
        { jobId: s.target, dir: s.sourceDir },
        { ...source, artifacts: kept },
        s.partialDir!,
      );
      Object.assign(s, { job, made, kept });
      return undefined;
    },
  },
  manifest: {
    run(s) {
      if (s.legacy !== undefined) {
        s.manifest = legacyMixManifest(s);
        return Promise.resolve(undefined);
      }
      const source = s.source!;
      s.manifest = buildManifest({
        job: {
          ...s.job!,
          ...(source.youtube && { youtube: source.youtube }),
          ...(source.validation && { validation: source.validation }),
        },
        artifacts: [...s.kept!, s.made!],
        input: source.input,
        engine: source.engine,
        options: source.options ?? {},
        timings: source.timings_sec ?? {},
        // The job's warnings, and the sample-rate / channel ones of the mix's own file, by its name.
        warnings: [
          ...(source.warnings ?? []),
          ...addedFileWarnings(
            source.input,
            s.made!,
            manifestOptionsToResolved(s.ctx.config, source, s.name, s.recipe).sampleRate,
          ).filter((warning) => !(source.warnings ?? []).includes(warning)),
        ],
        stemsGenerated: source.stems_generated,
        nullResidualDb: source.null_residual_db,
        outputKey: typeof source.output_key === 'string' ? source.output_key : '',
        ...(source.duplicate_of !== undefined && { duplicateOf: source.duplicate_of }),
        // The job's names are the source's, so where they came from is too (the input's tags, or job.json).
        ...(source.names_from !== undefined && { namesFrom: source.names_from }),
      });
      return Promise.resolve(undefined);
    },
  },
  publish: {
    run: (s) =>
      publishJob(
        s,
        {
          // A mix of the earlier version's output is a job of its own: that folder is left as it is.
          jobId: s.legacy !== undefined ? s.claim.jobId : s.target,
          partialDir: s.partialDir!,
          manifest: s.manifest!,
          kind: 'processed',
          inputSha256: s.legacyInput?.sha256 ?? s.source!.input.sha256,
        },
        // A mix claim taken away while this worker was stopped: its outputs are another mix's now.
        () => s.mixClaim?.confirm() ?? Promise.resolve(true),
      ),
  },
};

/**
 * A remix job (saved from the page's mixer): mixes an earlier job's stems, read from the stem cache (or,
 * when this worker's cache lacks them, separated again from the job's archived song), at the levels asked, then key/tempo; the variant joins that job's outputs under a new
 * manifest, published as any job's outputs are (files linked, manifest written last, one rename), so
 * nas-sync delivers it like any other artifact. A re-save under the same name replaces the earlier file.
 * Its stages are those of STAGES, run by the same runner as a normal job's.
 */
export async function runRemix(input: Omit<PipelineInput, 'song'>, remix: Remix): Promise<PipelineResult> {
  const name = formatVariantRef({ base: remix.variant, pitch: remix.pitch, tempo: remix.tempo });
  const recipe: VariantRecipe = {
    stems: remix.stems,
    ...(remix.pitch !== undefined && { pitch: remix.pitch }),
    ...(remix.tempo !== undefined && { tempo: remix.tempo }),
    label: remix.label ?? `Mix: ${remix.variant.replace(/_/g, ' ')}`,
  };
  const state: RemixState = {
    ...input,
    target: remix.of,
    sourceDir: join(input.ctx.paths.outputs, remix.of),
    name,
    recipe,
    remix,
  };
  try {
    return await runStages(input.stages, STEPS, state, input.signal, input.claim.jobId);
  } catch (error) {
    // Its partial folder is the target job's (.<of>.partial-…), not the remix's: removed here, under the
    // claim, before the next mix of that job starts its own.
    await discardOutputs(state.partialDir);
    throw error;
  } finally {
    await state.mixClaim?.release();
    state.endTurn?.();
  }
}

/** Per target job, this worker's remixes of it that separate (or look in the cache), one after another. */
const separating = new Map<string, Promise<void>>();
/** Per target job, this worker's remixes of it that write its outputs, one after another. */
const mixing = new Map<string, Promise<void>>();

/**
 * The key of one target job's turns: its outputs folder and its id. Keyed by the id alone, two workers of
 * other roots in one process (`imk up` of two roots, tests) waited on each other's mixes of a job that only
 * shared its id, though nothing on disk is shared.
 */
const turnKey = (s: RemixState, jobId: string): string => `${s.ctx.paths.outputs}\0${jobId}`;

/**
 * Waits for this worker's earlier holders of `turns`' turn on one target job (`key`, from turnKey); returns the function that
 * ends this one's turn. The worker runs jobs side by side: two mixes saved in a row wrote at once, each in
 * the job's one partial folder, and each published a manifest of the files it saw plus its own: the
 * second removed the first's partial folder mid-write (both failed) or published over it (the first mix
 * was lost). A remix waiting for its turn still stops at its signal (a cancel, a shutdown). A wait is said
 * at debug level (`forWhat` ends the line), so that a remix held behind another can be seen to be.
 */
async function waitForTurn(
  turns: Map<string, Promise<void>>,
  key: string,
  target: string,
  s: Pick<RemixState, 'signal' | 'logger' | 'claim'>,
  forWhat: string,
): Promise<() => void> {
  const { signal } = s;
  const earlier = turns.get(key);
  const before = earlier ?? Promise.resolve();
  let finished!: () => void;
  const mine = before.then(() => new Promise<void>((resolve) => (finished = resolve)));
  turns.set(key, mine);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    void before.then(() => finished());
    if (turns.get(key) === mine) turns.delete(key);
  };
  if (earlier !== undefined)
    s.logger.debug(
      { of: target },
      `remix ${s.claim.jobId} waits for this worker's earlier mix of job ${target} ${forWhat}`,
    );
  try {
    await new Promise<void>((resolve, reject) => {
      const stop = () => reject(signal.reason as Error);
      if (signal.aborted) return stop();
      signal.addEventListener('abort', stop, { once: true });
      void before.then(() => {
        signal.removeEventListener('abort', stop);
        resolve();
      });
    });
  } catch (error) {
    end();
    throw error;
  }
  return end;
}
