import { ImkError } from '@imk/errors';
import type { SeparateRequest, SeparationEngine, SeparationResult } from '../engine.ts';
import { STEM_SAMPLE_RATE, openMixture } from '../pcm-source.ts';
import {
  BUILTIN_VERSION,
  createBlockSeparator,
  createRepetIndexer,
  resolveBuiltinParams,
  type RepetIndex,
  type BuiltinParams,
} from '../builtin/index.ts';
import { createStemWriters } from './stem-output.ts';
import '../errors.ts';

export const BUILTIN_ENGINE_NAME = 'builtin';

/** Parameters of the builtin DSP; unset ones take BuiltinParamsSchema's defaults. @default {} */
export type BuiltinEngineOptions = Partial<BuiltinParams>;

/**
 * The weight-free engine: reads the input as 44.1 kHz stereo in blocks twice, first for the whole-song
 * REPET-SIM index (bounded), then through the streaming block separator, writing four float WAV stems as
 * blocks come out, so memory does not grow with the song.
 */
export function createBuiltinEngine(options: BuiltinEngineOptions = {}): SeparationEngine {
  // Checked up front: a bad value in config fails at start-up, not on the first song.
  const params = resolveBuiltinParams(options);
  return {
    name: BUILTIN_ENGINE_NAME,
    version: BUILTIN_VERSION,
    params: { ...params },
    separate: (request) => separateBuiltin(params, request),
  };
}

async function separateBuiltin(params: BuiltinParams, request: SeparateRequest): Promise<SeparationResult> {
  const { input, workDir, signal, onProgress, logger } = request;
  // Opened once for both passes: the worker's float WAV mixture is read without ffmpeg or ffprobe.
  const mixture = await openMixture(input, signal);
  const expected = mixture.expectedFrames;
  const decode = () => mixture.blocks();
  const twoPass = params.repetIndexMaxSec > 0;
  // Share of the progress bar the first pass (decode + one forward STFT) takes.
  const firstShare = twoPass ? 0.2 : 0;
  const progress = (done: number, share: number, from: number): void => {
    if (expected !== undefined && expected > 0) onProgress?.(from + share * Math.min(0.99, done / expected));
  };
  onProgress?.(0);
  let index: RepetIndex | undefined;
  if (twoPass) {
    // First pass: the whole-song REPET-SIM index (bounded by repetIndexMaxSec, not by the song).
    const indexer = createRepetIndexer(STEM_SAMPLE_RATE, params);
    let seen = 0;
    for await (const block of decode()) {
      if (signal?.aborted === true) throw aborted(input, signal);
      indexer.push(block);
      seen += block[0]?.length ?? 0;
      progress(seen, firstShare, 0);
    }
    if (signal?.aborted === true) throw aborted(input, signal);
    index = indexer.finish();
  }
  const separator = createBlockSeparator(STEM_SAMPLE_RATE, params, { index });
  const writers = createStemWriters(workDir);
  let frames = 0;
  let ok = false;
  try {
    for await (const block of decode()) {
      if (signal?.aborted === true) throw aborted(input, signal);
      frames += block[0]?.length ?? 0;
      const stems = separator.push(block);
      if (stems !== undefined) await writers.write(stems);
      progress(frames, 0.99 - firstShare, firstShare);
    }
    if (signal?.aborted === true) throw aborted(input, signal);
    await writers.write(separator.flush());
    await writers.close();
    if (writers.frames !== frames) {
      throw new ImkError(
        'ENGINE_FAILED',
        `builtin engine wrote ${writers.frames} frames of stems for ${frames} frames of ${input}`,
      );
    }
    ok = true;
    logger?.debug({ frames, seconds: frames / STEM_SAMPLE_RATE }, 'builtin separation done');
    onProgress?.(1);
    return { stems: writers.files, sampleRate: STEM_SAMPLE_RATE, frames };
  } finally {
    if (!ok) await writers.abort();
  }
}

function aborted(input: string, signal: AbortSignal): ImkError {
  return new ImkError('ABORTED', `aborted while separating ${input}`, { cause: signal.reason });
}
