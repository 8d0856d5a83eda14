import { inputArgs } from './input-args.ts';
import { ImkError } from '@imk/errors';
import { AUDIO_FORMATS, type AudioFormat } from '@imk/protocol';
import { probeMedia } from './probe.ts';
import { ffmpegHasSoxr, runFfmpeg, withinOption } from './ffmpeg-run.ts';
import { EBUR128_FILTER, loudnormFilter, measureLoudness, parseEbur128Summary } from './loudness.ts';
import type { LoudnessMeasurement, LoudnessTarget } from './loudness.ts';
import { readWavHeader } from './wav-header.ts';
import { withTempOutput } from './temp-output.ts';
import { coverArgs, metadataArgs } from './encode-args.ts';
import { encodeWithinCeiling, measureSamplePeak, type ClipGuard } from './clip-guard.ts';
import type { AudioTags } from './encode-args.ts';
import './errors.ts';
import type { Within } from './untrusted-inputs.ts';

// The formats are part of the job document (options.output_format): protocol owns the list.
export { AUDIO_FORMATS, type AudioFormat } from '@imk/protocol';

export interface EncodeOptions {
  /** Any audio file ffmpeg reads (usually one of our float WAVs). */
  input: string;
  /** Final path; written under a temp name beside it and renamed when ffmpeg succeeded. */
  output: string;
  /**
   * false: a file already at `output` is kept, and ImkError('OUTPUT_EXISTS') names it (checked again at
   * the final rename, so a file that appears meanwhile is kept too). @default true
   */
  replace?: boolean;
  format: AudioFormat;
  /** Output sample rate. @default the input's */
  sampleRate?: number;
  /** flac: 16 or 24; wav: 16, 24 or 32 (32 = float). Ignored for m4a and mp3. @default DEFAULT_BIT_DEPTH */
  bitDepth?: 16 | 24 | 32;
  /** Lossy bitrate for m4a (AAC) and mp3. @default DEFAULT_BITRATE */
  bitrate?: string;
  tags?: AudioTags;
  /** Image (png, jpeg, webp...) embedded as the attached picture for m4a, mp3 and flac; ignored for wav. */
  cover?: string;
  /** Normalise to a loudness target (EBU R128). */
  loudness?: LoudnessTarget;
  /**
   * Also measure EBU R128 loudness (ebur128) of the samples handed to the encoder, after normalisation,
   * resampling and dithering, in the same ffmpeg run. For flac and wav that is exactly the file's audio; a
   * lossy codec changes it a little (AAC moves the true peak by a few tenths of a dB), so measure lossy
   * files themselves with measureLoudness when the figure must describe the file. @default false
   */
  measureLoudness?: boolean;
  /**
   * Turn the whole file down by one constant gain, just enough, when its sample peak would go over what the
   * format holds (0 dBFS for 16/24-bit flac and wav; −0.1 dBFS for m4a and mp3, whose decoded file is
   * also checked). No limiter: a file that does not clip is written as it is, and 32-bit float WAV is left
   * exact. Ignored with `loudness`, whose normaliser keeps the true peak under its own ceiling.
   * @default false
   */
  avoidClipping?: boolean;
  /**
   * A constant gain (linear) applied before anything else, decided by a caller for several files at once
   * (a job's kept stems, turned down alike by encodeGroupWithinCeiling so that they still sum to the
   * mixture). Not with `avoidClipping`, which decides the gain itself.
   */
  gain?: number;
  /**
   * The folder someone else writes (a job's bundle) that `input` or `cover` may come from: every input
   * beneath it is held inside it when ffprobe, ffmpeg or the WAV reader opens it (see OpenInputsOptions),
   * so a folder on its path swapped for a link to a file elsewhere is refused, not embedded or encoded.
   */
  within?: Within;
  signal?: AbortSignal;
}

export interface EncodeResult {
  /** Set when `measureLoudness` was asked. */
  loudness?: LoudnessMeasurement;
  /** Set when `avoidClipping` turned the file down. */
  clipGuard?: ClipGuard;
}

/** Bit depth of flac and wav when not told. */
export const DEFAULT_BIT_DEPTH = 24;
export const DEFAULT_BITRATE: Readonly<Record<'m4a' | 'mp3', string>> = { m4a: '256k', mp3: '320k' };

/** Encodes an audio file to m4a (AAC), mp3, flac or wav, with tags, cover art and optional loudness normalisation. */
export async function encodeAudio(options: EncodeOptions): Promise<EncodeResult> {
  const { input, output, format, signal } = options;
  const within = withinOption(options.within);
  if (!AUDIO_FORMATS.includes(format)) {
    throw new ImkError(
      'ENCODE_INVALID_OPTIONS',
      `unknown output format '${String(format)}' for ${output} (use ${AUDIO_FORMATS.join(', ')})`,
    );
  }
  const info = await inputShape(input, signal, options.within);
  const sampleRate = options.sampleRate ?? info.sampleRate;
  const codecArgs = audioCodecArgs(options);
  const filters: string[] = [];
  if (options.loudness !== undefined) {
    const measured = options.loudness.twoPass
      ? await measureLoudness(input, { signal, ...within })
      : undefined;
    const filter = loudnormFilter(options.loudness, measured);
    if (filter !== undefined) filters.push(filter);
  }
  const dither = codecArgs.dither ? ':dither_method=triangular' : '';
  const resample = await resampleFilter(sampleRate);
  const cover =
    options.cover !== undefined && format !== 'wav'
      ? await coverArgs(options.cover, format, 1, within)
      : undefined;
  // The peak the encoder would get: after resampling (which can add peaks between the input's samples).
  const guard = options.avoidClipping === true && options.loudness === undefined;
  const peak = guard ? await measureSamplePeak(input, { filters: [resample], signal, ...within }) : 0;

  const measure = options.measureLoudness === true;
  let loudness: LoudnessMeasurement | undefined;
  let clipGuard: ClipGuard | undefined;
  await withTempOutput(
    output,
    async (temp) => {
      const run = async (gain: number | undefined): Promise<string> => {
        // The gain comes first, so that dithering (in aresample) is the last thing before the encoder.
        const chain = [...(gain === undefined ? [] : [`volume=${gain}`]), ...filters, `${resample}${dither}`];
        const args = [...inputArgs(input), ...(cover?.inputArgs ?? [])];
        if (measure) {
          // The sample format is fixed before the split, so that the encoder and ebur128 get the very same
          // samples (dithered in aresample for 16 bit), and ffmpeg converts only the measuring branch.
          const graph = `[0:a:0]${chain.join(',')},aformat=sample_fmts=${codecArgs.sampleFormat},asplit=2[encode][measure];[measure]${EBUR128_FILTER},anullsink`;
          args.push('-nostats', '-loglevel', 'info', '-filter_complex', graph, '-map', '[encode]');
        } else {
          args.push('-map', '0:a:0', '-af', chain.join(','));
        }
        args.push(...(cover?.mapArgs ?? []));
        args.push('-map_metadata', '-1', '-map_chapters', '-1', ...metadataArgs(options.tags));
        // -ac pins the channel layout: WAVs without a channel mask have none, which fails after loudnorm.
        const channels = String(info.channels);
        args.push('-ar', String(sampleRate), '-ac', channels, ...codecArgs.args, ...(cover?.codecArgs ?? []));
        args.push('-f', codecArgs.muxer, temp);
        const { stderr } = await runFfmpeg(args, {
          signal,
          what: `encoding ${input} to ${output}`,
          ...within,
        });
        if (measure) loudness = parseEbur128Summary(stderr, input);
        return temp;
      };
      if (guard) clipGuard = await encodeWithinCeiling(peak, format, options.bitDepth, run, signal);
      else await run(options.gain);
    },
    { replace: options.replace !== false },
  );
  return { ...(loudness !== undefined && { loudness }), ...(clipGuard !== undefined && { clipGuard }) };
}

// Always resample explicitly: loudnorm runs at 192 kHz, and soxr is the better resampler when present.
async function resampleFilter(sampleRate: number): Promise<string> {
  return `aresample=${sampleRate}${(await ffmpegHasSoxr()) ? ':resampler=soxr' : ''}`;
}

/**
 * The sample peak (linear) encodeAudio would hand its encoder for `input` at `sampleRate` (unset: the
 * input's), before any gain: resampling can add peaks between the input's samples. For a caller that
 * decides one gain for several files (encodeGroupWithinCeiling).
 */
export async function encoderInputPeak(
  options: Pick<EncodeOptions, 'input' | 'sampleRate' | 'signal' | 'within'>,
): Promise<number> {
  const info = await inputShape(options.input, options.signal, options.within);
  const resample = await resampleFilter(options.sampleRate ?? info.sampleRate);
  const within = withinOption(options.within);
  return measureSamplePeak(options.input, { filters: [resample], signal: options.signal, ...within });
}

/**
 * Sample rate and channels of the input: read from the header of a WAV (our float WAVs, without an ffprobe
 * run), else from ffprobe. ffprobe also gives the clear error for a missing, empty or soundless input.
 */
async function inputShape(
  input: string,
  signal: AbortSignal | undefined,
  within: Within | undefined,
): Promise<{ sampleRate: number; channels: number }> {
  if (input.toLowerCase().endsWith('.wav')) {
    const header = await readWavHeader(input, withinOption(within)).catch(() => undefined);
    if (header !== undefined && header.frames > 0)
      return { sampleRate: header.sampleRate, channels: header.channels };
  }
  const info = await probeMedia(input, { signal, ...withinOption(within) });
  return { sampleRate: info.audio?.sample_rate ?? 44100, channels: info.audio?.channels ?? 2 };
}

interface CodecArgs {
  args: string[];
  muxer: string;
  dither: boolean;
  /** The sample format the encoder is fed (ffmpeg's name). */
  sampleFormat: string;
}

function audioCodecArgs(options: EncodeOptions): CodecArgs {
  const { format, bitDepth } = options;
  switch (format) {
    case 'm4a':
      return {
        args: ['-c:a', 'aac', '-b:a', options.bitrate ?? DEFAULT_BITRATE.m4a, '-movflags', '+faststart'],
        muxer: 'ipod',
        dither: false,
        sampleFormat: 'fltp',
      };
    case 'mp3':
      return {
        args: ['-c:a', 'libmp3lame', '-b:a', options.bitrate ?? DEFAULT_BITRATE.mp3, '-id3v2_version', '3'],
        muxer: 'mp3',
        dither: false,
        sampleFormat: 'fltp',
      };
    case 'flac': {
      const depth = bitDepth ?? DEFAULT_BIT_DEPTH;
      if (depth === 32)
        throw new ImkError(
          'ENCODE_INVALID_OPTIONS',
          `flac cannot hold 32-bit float (${options.output}); use bitDepth 16 or 24`,
        );
      const sampleFormat =
        depth === 16 ? ['-sample_fmt', 's16'] : ['-sample_fmt', 's32', '-bits_per_raw_sample', '24'];
      return {
        args: ['-c:a', 'flac', ...sampleFormat],
        muxer: 'flac',
        dither: depth === 16,
        sampleFormat: depth === 16 ? 's16' : 's32',
      };
    }
    case 'wav': {
      const depth = bitDepth ?? DEFAULT_BIT_DEPTH;
      const codec = depth === 16 ? 'pcm_s16le' : depth === 24 ? 'pcm_s24le' : 'pcm_f32le';
      return {
        args: ['-c:a', codec],
        muxer: 'wav',
        dither: depth === 16,
        sampleFormat: depth === 16 ? 's16' : depth === 24 ? 's32' : 'flt',
      };
    }
  }
}
