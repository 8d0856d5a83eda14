import { inputArgs } from './input-args.ts';
import { ImkError, isImkError } from '@imk/errors';
import { probeMedia } from './probe.ts';
import { runFfmpeg, withinOption } from './ffmpeg-run.ts';
import './errors.ts';
import type { Within } from './untrusted-inputs.ts';

export interface LoudnessMeasurement {
  /** Integrated loudness (EBU R128) in LUFS; null for digital silence. */
  integrated_lufs: number | null;
  /** True peak in dBTP; null for digital silence. */
  true_peak_dbtp: number | null;
  /** Loudness range in LU; null when the integrated loudness is. */
  lra_lu: number | null;
  /** The relative gate threshold in LUFS, needed by a second loudnorm pass; null when the integrated loudness is. */
  threshold_lufs: number | null;
  /**
   * Sample frames (per channel) the file decoded to, at its own rate: set when measureLoudness was asked
   * `countFrames`. What a player plays, which ffprobe's duration is not for every format: an MP3's counts
   * its encoder delay and padding (1.152 s for 1 s at 8 kHz, 1.045 s at 44.1 kHz), which decoders drop.
   */
  frames?: number;
}

export interface LoudnessTarget {
  /** Integrated loudness to reach, LUFS (-70..-5), e.g. -14 for streaming services. */
  targetLufs: number;
  /** Maximum true peak, dBTP (-9..0), e.g. -1. */
  truePeak: number;
  /** Measure first, then normalise linearly with the measured values (keeps dynamics); else one dynamic pass. */
  twoPass: boolean;
}

/** The loudness range target used by normalisation; loudnorm needs one (LU). */
const DEFAULT_LRA_TARGET = 11;

/**
 * The ffmpeg filter that measures EBU R128 loudness: integrated loudness with its gates, loudness range, and
 * true peak (the signal oversampled to 192 kHz). About 4x cheaper than loudnorm's measurement, which runs its
 * whole dynamic normaliser and limiter at 192 kHz. framelog=verbose keeps its 10-per-second lines out of
 * the log.
 */
export const EBUR128_FILTER = 'ebur128=peak=true:framelog=verbose';

/** The level (LUFS) of ebur128's absolute gate: an integrated loudness at it means no block passed. */
const ABSOLUTE_GATE_LUFS = -70;

/**
 * Measures EBU R128 integrated loudness, loudness range and true peak of a file's first audio stream
 * (ffmpeg's ebur128 filter; figures to 0.1 LU / 0.1 dB, as it prints them).
 */
export async function measureLoudness(
  file: string,
  /** `within`: the folder someone else writes that `file` may come from (see OpenInputsOptions). */
  options: {
    signal?: AbortSignal;
    within?: Within;
    /** Also count the sample frames the file decodes to (LoudnessMeasurement.frames), in the same run. */
    countFrames?: boolean;
  } = {},
): Promise<LoudnessMeasurement> {
  const count = options.countFrames === true;
  let stderr: string;
  try {
    ({ stderr } = await runFfmpeg(
      [
        '-nostats',
        '-loglevel',
        'info',
        ...inputArgs(file),
        '-map',
        '0:a:0',
        '-af',
        count ? `${EBUR128_FILTER},${COUNT_FRAMES_FILTER}` : EBUR128_FILTER,
        '-f',
        'null',
        '-',
      ],
      { signal: options.signal, what: `measuring the loudness of ${file}`, ...withinOption(options.within) },
    ));
  } catch (error) {
    // A missing, empty or soundless file gets probeMedia's clearer error; probing only on failure saves
    // an ffprobe run per measurement.
    if (isImkError(error, 'FFMPEG_FAILED'))
      await probeMedia(file, { signal: options.signal, ...withinOption(options.within) });
    throw error;
  }
  const measured = parseEbur128Summary(stderr, file);
  if (!count) return measured;
  const frames = /Number of samples: (\d+)/.exec(stderr.slice(stderr.lastIndexOf('Number of samples:')));
  return frames === null ? measured : { ...measured, frames: Number(frames[1]) };
}

/** Counts the frames that pass (astats prints "Number of samples: N", per channel, when its input ends). */
const COUNT_FRAMES_FILTER = 'astats=measure_perchannel=none:measure_overall=Number_of_samples';

/**
 * Reads the summary ebur128 prints when its input ends (the last one in `stderr`). Integrated loudness is
 * null when no 400 ms block passed the -70 LUFS absolute gate (digital silence, or audio shorter than a
 * block): EBU R128 leaves it undefined then. True peak is null only for digital silence.
 */
export function parseEbur128Summary(stderr: string, file: string): LoudnessMeasurement {
  const summary = stderr.slice(stderr.lastIndexOf('Summary:'));
  const integrated = /Integrated loudness:\s*I:\s*(\S+) LUFS\s*Threshold:\s*(\S+) LUFS/.exec(summary);
  const range = /Loudness range:\s*LRA:\s*(\S+) LU\b/.exec(summary);
  const peak = /True peak:\s*Peak:\s*(\S+) dBFS/.exec(summary);
  if (!stderr.includes('Summary:') || !integrated || !range || !peak) {
    throw new ImkError('LOUDNESS_FAILED', `ffmpeg ebur128 printed no loudness summary for ${file}`, {
      details: { file },
    });
  }
  const lufs = finiteOrNull(integrated[1]);
  const gated = lufs !== null && lufs > ABSOLUTE_GATE_LUFS;
  return {
    integrated_lufs: gated ? lufs : null,
    true_peak_dbtp: finiteOrNull(peak[1]),
    lra_lu: gated ? finiteOrNull(range[1]) : null,
    threshold_lufs: gated ? finiteOrNull(integrated[2]) : null,
  };
}

/** Reads the JSON block loudnorm prints at the end of its run. */
export function parseLoudnormJson(stderr: string, file: string): LoudnessMeasurement {
  const start = stderr.lastIndexOf('{');
  const end = stderr.lastIndexOf('}');
  let raw: Record<string, string>;
  try {
    raw = JSON.parse(stderr.slice(start, end + 1)) as Record<string, string>;
  } catch (cause) {
    throw new ImkError('LOUDNESS_FAILED', `ffmpeg loudnorm printed no measurement for ${file}`, {
      cause,
      details: { file },
    });
  }
  return {
    integrated_lufs: finiteOrNull(raw.input_i),
    true_peak_dbtp: finiteOrNull(raw.input_tp),
    lra_lu: finiteOrNull(raw.input_lra),
    threshold_lufs: finiteOrNull(raw.input_thresh),
  };
}

/**
 * The loudnorm filter for a target: linear with the measured values when given (second pass), dynamic
 * otherwise. Returns undefined for silence, which no gain can bring to a target. loudnorm outputs 192 kHz:
 * the caller must resample after it.
 */
export function loudnormFilter(target: LoudnessTarget, measured?: LoudnessMeasurement): string | undefined {
  const base = `loudnorm=I=${target.targetLufs}:TP=${target.truePeak}`;
  if (measured === undefined) return `${base}:LRA=${DEFAULT_LRA_TARGET}`;
  if (measured.integrated_lufs === null || measured.true_peak_dbtp === null) return undefined;
  // Linear mode needs a range target at least the measured one, else loudnorm falls back to dynamic.
  const lra = Math.min(50, Math.max(DEFAULT_LRA_TARGET, Math.ceil(measured.lra_lu ?? 0)));
  // loudnorm refuses a measured_I or measured_thresh above 0 ("Numerical result out of range"), which a
  // brickwalled master or a float mix past full scale measures (+5 LUFS), and takes a measured_I of 0 for
  // none. Such audio is turned down first by whole decibels, and its measurements with it: loudnorm's gain
  // (target minus measured) then ends at the same level.
  const threshold = measured.threshold_lufs ?? -70;
  const over = Math.max(measured.integrated_lufs, threshold);
  const shift = over > -1 ? -(Math.ceil(over) + 1) : 0;
  return (
    (shift === 0 ? '' : `volume=${shift}dB,`) +
    `${base}:LRA=${lra}:measured_I=${measured.integrated_lufs + shift}:measured_TP=${measured.true_peak_dbtp + shift}` +
    `:measured_LRA=${measured.lra_lu ?? 0}:measured_thresh=${threshold + shift}:linear=true`
  );
}

function finiteOrNull(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}
