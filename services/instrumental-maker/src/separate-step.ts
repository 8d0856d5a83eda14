import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '@imk/errors';
import { stemCacheAudioKey } from '@imk/protocol';
import { nullResidualDb } from '@imk/separation';
import { makesStems } from './options.ts';
import type { PipelineResult, PipelineState } from './pipeline.ts';
import type { ReportProgress, StageSteps } from './stage-runner.ts';
import type { StemCache } from './stem-cache.ts';

type Steps = StageSteps<PipelineState, PipelineResult>;

/**
 * Whether a job separates nothing: a duplicate links the earlier job's files; the video half of a mode
 * "both" pair without the instrumental video publishes the source video only (no sound of its own is made).
 */
export const separatesNothing = (s: PipelineState): boolean =>
  s.duplicate !== undefined || !makesStems(s.options!, s.ctx.config);

/**
 * Stems from the cache as found by the input's hash (the hash stage); else by the decoded audio's, when
 * another file decoded to the same samples (the other half of a song fetched in mode "both": the
 * audio-only download and the video's soundtrack are often one encode), waiting for a job of this worker
 * that is separating that audio now; else from the engine, stored in the cache under both keys.
 */
export const separate: Steps['separate'] = {
  skip: separatesNothing,
  async run(s, progress) {
    const { ctx } = s;
    if (s.separation !== undefined) {
      s.stages.mark('cache_hit');
      s.logger.info({ key: s.cacheKey }, 'stems found in the cache; the engine is not run');
      return undefined;
    }
    const cache = ctx.cache;
    if (cache === undefined || s.audioSha256 === undefined) {
      await runEngine(s, progress);
      return undefined;
    }
    const audioKey = stemCacheAudioKey({ audioSha256: s.audioSha256, engine: s.engineFacts! });
    const waiting = (holder: string) =>
      s.logger.info(
        { holder, key: audioKey },
        `waiting for job ${holder}, which is separating the same audio: its stems will be this job's`,
      );
    await cache.exclusive(
      audioKey,
      s.jobId,
      s.signal,
      async () => {
        const same = await cache.lookup(audioKey);
        if (same === undefined) {
          await runEngine(s, progress);
          await keepUnder(cache, s, s.cacheKey!, audioKey);
          return;
        }
        s.separation = same;
        s.stages.mark('cache_hit');
        s.logger.info(
          { key: audioKey },
          'stems of the same audio found in the cache (another file decoded to the same samples); the engine is not run',
        );
        // Under this job's own key too: its manifest (input sha256, engine) names them, for the mixer.
        await keepUnder(cache, s, audioKey, s.cacheKey!);
      },
      waiting,
    );
    return undefined;
  },
};

/** The engine run on the decoded mixture; its stems stored in the cache (when there is one). */
async function runEngine(s: PipelineState, progress: ReportProgress): Promise<void> {
  const { ctx } = s;
  const cacheKey = s.cacheKey!;
  const engine = s.engine!;
  const engineDir = ctx.cache ? await ctx.cache.workDir(cacheKey) : join(s.work, 'stems');
  await mkdir(engineDir, { recursive: true });
  try {
    const result = await engine.separate({
      input: s.mixture,
      workDir: engineDir,
      signal: s.signal,
      onProgress: progress,
      logger: s.logger.child({ component: 'engine', engine: engine.name }),
    });
    // What the engine says about this run (the GPU failed and the CPU finished) goes in the manifest.
    s.warnings.push(...(result.warnings ?? []));
    const residual = await nullResidualDb(s.mixture, result.stems, { signal: s.signal });
    s.separation = ctx.cache
      ? await ctx.cache.store(
          cacheKey,
          { inputSha256: s.inputSha256!, engine: s.engineFacts! },
          result,
          engineDir,
          // What ffmpeg said decoding the input, kept for a later hit to quote without decoding it again.
          {
            nullResidualDb: residual,
            decodeErrors: s.decodeErrors ?? [],
            inputPath: s.inputFile,
            ...(s.audioSha256 !== undefined && { audioSha256: s.audioSha256 }),
          },
        )
      : { ...result, nullResidualDb: residual };
  } catch (error) {
    if (ctx.cache) await ctx.cache.discard(engineDir);
    throw error;
  }
}

/**
 * The entry `from` kept under `to` as well (hard links). Not kept (a cache on a file system without hard
 * links, an error): the job goes on, and another file of this audio is separated again.
 */
async function keepUnder(cache: StemCache, s: PipelineState, from: string, to: string): Promise<void> {
  const facts = { decodeErrors: s.decodeErrors ?? [], inputPath: s.inputFile };
  const input = { inputSha256: s.inputSha256!, engine: s.engineFacts! };
  try {
    if ((await cache.alias(from, to, input, facts)) === 'no hard links')
      s.logger.info(
        { key: to },
        "the stem cache's file system has no hard links: these stems are not kept under a second key, and another file of the same audio is separated again",
      );
  } catch (error) {
    s.logger.warn(
      { err: errorMessage(error), key: to },
      'the stem cache could not keep these stems under a second key; another file of the same audio is separated again',
    );
  }
}
