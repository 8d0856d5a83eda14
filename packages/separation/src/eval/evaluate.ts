import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { POLICY, errorMessage, httpStatusOf, isImkError, stopCame } from '@imk/errors';
import type { Logger } from '@imk/log';
import { readWavFile } from '@imk/media';
import { STEM_NAMES, type StemName } from '@imk/protocol';
import type { PcmChannels, SeparationEngine, StemFiles } from '../engine.ts';
import { STEM_SAMPLE_RATE } from '../pcm-source.ts';
import { sdr } from '../builtin/index.ts';
// The policies below are read from the catalogues: this one's must be registered even when the package's
// index is not loaded (a test importing this file alone).
import '../errors.ts';
import { centreCancelEstimates, floorEstimates, repetSimEstimates } from './baselines.ts';
import type { EvalSet, EvalTrack } from './eval-sets.ts';
import {
  EVAL_METHODS,
  EVAL_STEMS,
  METRIC_DESCRIPTION,
  aggregate,
  type EvalMethod,
  type EvalReport,
  type EvalStem,
  type SetScores,
  type StemScores,
  type TrackFailure,
  type TrackScores,
} from './scores.ts';

export interface EvaluateOptions {
  engine: SeparationEngine;
  sets: EvalSet[];
  /** Where the engine writes its stems (a temp folder, removed afterwards). @default os.tmpdir() */
  workDir?: string;
  signal?: AbortSignal;
  logger?: Logger;
  /**
   * Called as each song starts (1-based `index` of `total`, over all sets): a folder of whole songs takes
   * minutes a song (REPET-SIM's work grows with the square of a song's length), so the CLI says where it is.
   */
  onTrack?: (track: { name: string; index: number; total: number }) => void;
}

/**
 * Runs the engine on every track of every set and scores it, the floor, centre cancellation and REPET-SIM.
 * A track that fails (unreadable files, the engine's error) is listed in its set's `failed` with the error,
 * and the others are scored. An abort stops the whole evaluation, and so does an error a person must act on
 * first (its catalogue policy "unavailable": the engine or its model missing or wrong, a tool absent).
 */
export async function evaluateEngine(options: EvaluateOptions): Promise<EvalReport> {
  const { engine } = options;
  const base = await mkdtemp(join(options.workDir ?? tmpdir(), 'imk-eval-'));
  try {
    const sets: SetScores[] = [];
    const total = options.sets.reduce((n, set) => n + set.tracks.length, 0);
    let index = 0;
    for (const set of options.sets) {
      const tracks: TrackScores[] = [];
      const failed: TrackFailure[] = [];
      for (const [n, track] of set.tracks.entries()) {
        const workDir = join(base, `${set.id}-${n}`);
        await mkdir(workDir);
        options.onTrack?.({ name: track.name, index: ++index, total });
        try {
          tracks.push(await evaluateTrack(engine, track, workDir, options));
        } catch (error) {
          // One unreadable song must not cost the figures of the others (a folder of 50 songs is hours of
          // work); it is reported beside them. Stopping (Ctrl-C) still stops.
          if (stopCame(options.signal, error)) throw error;
          // Something a person must set right first (the engine or its model missing or wrong, ffmpeg
          // absent: the catalogue's "unavailable") would fail every song the same way: said once, at once.
          if (httpStatusOf(error) === POLICY.unavailable.httpStatus) throw error;
          const failure = {
            name: track.name,
            code: isImkError(error) ? error.code : 'EVAL_FAILED',
            message: errorMessage(error),
          };
          failed.push(failure);
          options.logger?.warn({ track: track.name, err: error }, 'could not evaluate track');
        } finally {
          await rm(workDir, { recursive: true, force: true });
        }
      }
      sets.push({
        id: set.id,
        title: set.title,
        split: set.split,
        ...(set.missing === undefined ? {} : { missing: set.missing }),
        stems: aggregate(tracks),
        tracks,
        failed,
      });
    }
    return {
      engine: { name: engine.name, version: engine.version, params: engine.params },
      metric: METRIC_DESCRIPTION,
      sets,
    };
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

async function evaluateTrack(
  engine: SeparationEngine,
  track: EvalTrack,
  workDir: string,
  options: EvaluateOptions,
): Promise<TrackScores> {
  let files: { mixture: string; stems: StemFiles } = track;
  if (track.load !== undefined) {
    const sourceDir = join(workDir, 'source');
    await mkdir(sourceDir);
    files = await track.load(sourceDir, options.signal);
  }
  const started = performance.now();
  const result = await engine.separate({
    input: files.mixture,
    workDir,
    signal: options.signal,
    logger: options.logger,
  });
  const engineSeconds = (performance.now() - started) / 1000;
  // One method's estimates at a time, each scored and let go before the next is made: on a whole song each
  // stereo stem is 21 MB a minute of float, and all four methods at once were held until the last was scored.
  const references = await readStems(files.stems);
  let estimates: Record<StemName, PcmChannels> | undefined = await readStems(result.stems);
  const mixture = (await readWavFile(files.mixture)).channels;
  // The real excerpt's stems are separate AAC streams and may differ from the mixture by a few samples.
  const frames = Math.min(
    mixture[0]?.length ?? 0,
    ...STEM_NAMES.flatMap((s) => [references[s][0]?.length ?? 0, estimates![s][0]?.length ?? 0]),
  );
  const cut = (pcm: PcmChannels) => pcm.map((c) => c.subarray(0, frames));
  const reference = withAccompaniment(references, cut);
  const score = (method: Record<EvalStem, PcmChannels>) =>
    Object.fromEntries(
      EVAL_STEMS.map((stem) => [stem, definedOrNull(sdr(reference[stem], method[stem], STEM_SAMPLE_RATE))]),
    ) as Record<EvalStem, number | null>;
  const engineScores = score(withAccompaniment(estimates, cut));
  estimates = undefined;
  const byMethod: Record<EvalMethod, Record<EvalStem, number | null>> = {
    engine: engineScores,
    floor: score(floorEstimates(cut(mixture))),
    centre_cancel: score(centreCancelEstimates(cut(mixture))),
    repet_sim: score(repetSimEstimates(cut(mixture), STEM_SAMPLE_RATE)),
  };
  const stems = Object.fromEntries(
    EVAL_STEMS.map((stem) => [
      stem,
      Object.fromEntries(EVAL_METHODS.map((method) => [method, byMethod[method][stem]])),
    ]),
  ) as StemScores;
  options.logger?.info({ track: track.name, engine_seconds: engineSeconds }, 'evaluated track');
  return { name: track.name, engine_seconds: engineSeconds, stems };
}

async function readStems(files: StemFiles): Promise<Record<StemName, PcmChannels>> {
  const out = {} as Record<StemName, PcmChannels>;
  for (const stem of STEM_NAMES) out[stem] = (await readWavFile(files[stem])).channels;
  return out;
}

/** The four stems cut to a common length, plus accompaniment = drums + bass + other. */
function withAccompaniment(
  stems: Record<StemName, PcmChannels>,
  cut: (pcm: PcmChannels) => PcmChannels,
): Record<EvalStem, PcmChannels> {
  const drums = cut(stems.drums);
  const bass = cut(stems.bass);
  const other = cut(stems.other);
  const accompaniment = drums.map((channel, c) => {
    const out = new Float32Array(channel.length);
    for (let i = 0; i < out.length; i++)
      out[i] = (channel[i] ?? 0) + (bass[c]?.[i] ?? 0) + (other[c]?.[i] ?? 0);
    return out;
  });
  return { vocals: cut(stems.vocals), drums, bass, other, accompaniment };
}

// NaN (no window counted) is "undefined"; +Infinity (a perfect estimate) is a real score and stays one.
function definedOrNull(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}
