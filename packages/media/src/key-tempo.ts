import { ImkError } from '@imk/errors';
import { PITCH_LIMITS, TEMPO_LIMITS } from '@imk/protocol';
import { runFfmpeg } from './ffmpeg-run.ts';
import { inputArgs } from './input-args.ts';
import { probeMedia } from './probe.ts';
import { withTempOutput } from './temp-output.ts';
import { readWavHeader } from './wav-header.ts';
import './errors.ts';

export interface ChangeKeyTempoOptions {
  /** Any audio file ffmpeg reads. */
  input: string;
  /** A float32 WAV, written under a temp name beside it and renamed when ffmpeg succeeded. */
  output: string;
  /** Semitones, within @imk/protocol's PITCH_LIMITS (0: the key is kept). */
  pitch?: number;
  /** Playback speed, within @imk/protocol's TEMPO_LIMITS, with the pitch kept (0.8: 1.25× as long). */
  tempo?: number;
  signal?: AbortSignal;
}

/** The ffmpeg filter (rubberband: pitch as a frequency ratio, tempo as a speed factor). */
export function keyTempoFilter(pitch = 0, tempo = 1): string {
  // The ranges a job, a variant name and a mix are checked against (one home: @imk/protocol).
  if (!(pitch >= PITCH_LIMITS.min && pitch <= PITCH_LIMITS.max))
    throw new ImkError(
      'OPTIONS_INVALID',
      `pitch ${pitch}: expected semitones from ${PITCH_LIMITS.min} to +${PITCH_LIMITS.max}`,
    );
  if (!(tempo >= TEMPO_LIMITS.min && tempo <= TEMPO_LIMITS.max))
    throw new ImkError(
      'OPTIONS_INVALID',
      `tempo ${tempo}: expected a factor from ${TEMPO_LIMITS.min} to ${TEMPO_LIMITS.max.toFixed(1)}`,
    );
  const ratio = 2 ** (pitch / 12);
  // pitchq=quality: the best of rubberband's pitch modes; the fundamental lands where asked.
  return `rubberband=tempo=${tempo}:pitch=${ratio.toFixed(10)}:pitchq=quality`;
}

/**
 * Sample frames of the input: exact from a WAV's header, else ffprobe's duration times the rate. Undefined
 * when neither says.
 */
async function inputFrames(input: string, signal: AbortSignal | undefined): Promise<number | undefined> {
  try {
    return (await readWavHeader(input)).frames;
  } catch {
    const info = await probeMedia(input, { signal });
    const rate = info.audio?.sample_rate;
    const seconds = info.audio?.duration_sec ?? info.duration_sec;
    return rate !== undefined && seconds !== null && seconds !== undefined
      ? Math.round(seconds * rate)
      : undefined;
  }
}

/**
 * Transposes and/or time-stretches `input` with ffmpeg's rubberband filter (Debian's ffmpeg is built with
 * librubberband), writing a float WAV at the input's rate and channel count, exactly `frames / tempo`
 * frames long.
 */
export async function changeKeyTempo(options: ChangeKeyTempoOptions): Promise<void> {
  const tempo = options.tempo ?? 1;
  let filter = keyTempoFilter(options.pitch, tempo);
  const frames = await inputFrames(options.input, options.signal);
  // ffmpeg's rubberband filter does not flush the stretcher's last block at the end of the input: up to
  // ~0.1 s of the song's end was lost (more with a higher key and a slower tempo), and an input shorter
  // than one block (~10 ms) made ffmpeg fail. A second of silence after the input pushes every real
  // sample out; the result is then cut to the length the tempo asks for.
  if (frames !== undefined)
    filter = `apad=pad_dur=1,${filter},atrim=end_sample=${Math.round(frames / tempo)}`;
  await withTempOutput(options.output, async (temp) => {
    const args = [...inputArgs(options.input), '-af', filter, '-c:a', 'pcm_f32le', '-f', 'wav', temp];
    await runFfmpeg(args, {
      signal: options.signal,
      what: `changing key/tempo of ${options.input} (${filter})`,
    });
  });
}
