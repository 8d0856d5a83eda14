import { ImkError } from '@imk/errors';
import { probeMedia } from './probe.ts';
import { runFfmpeg } from './ffmpeg-run.ts';

export interface LoudnessMeasurement {
  /** Integrated loudness (EBU R128) in LUFS; null for digital silence. */
  integrated_lufs: number | null;
  /** True peak in dBTP; null for digital silence. */
  true_peak_dbtp: number | null;
  /** Loudness range in LU. */
  lra_lu: number | null;
  /** The relative gate threshold in LUFS, needed by a second loudnorm pass. */
  threshold_lufs: number | null;
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

/** Measures EBU R128 integrated loudness and true peak of a file's first audio stream (ffmpeg loudnorm). */
export async function measureLoudness(
  file: string,
  options: { signal?: AbortSignal } = {},
): Promise<LoudnessMeasurement> {
  await probeMedia(file, { signal: options.signal });
  const { stderr } = await runFfmpeg(
    [
      '-nostats',
      '-loglevel',
      'info',
      '-i',
      file,
      '-map',
      '0:a:0',
      '-af',
      'loudnorm=print_format=json',
      '-f',
      'null',
      '-',
    ],
    { signal: options.signal, what: `measuring the loudness of ${file}` },
  );
  return parseLoudnormJson(stderr, file);
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
  return (
    `${base}:LRA=${lra}:measured_I=${measured.integrated_lufs}:measured_TP=${measured.true_peak_dbtp}` +
    `:measured_LRA=${measured.lra_lu ?? 0}:measured_thresh=${measured.threshold_lufs ?? -70}:linear=true`
  );
}

function finiteOrNull(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}
