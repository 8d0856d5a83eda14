import { SAMPLE_RATE_RANGE, type AudioFormat } from './common.ts';

/**
 * The sample rates each lossy format can be written at: ffmpeg's AAC encoder takes the MPEG-4 rates, up to
 * 96 kHz; MP3 (libmp3lame) the MPEG-1, 2 and 2.5 layer III rates, up to 48 kHz. flac and wav take any rate
 * of SAMPLE_RATE_RANGE. A job's `sample_rate` (and the config's `output.sampleRate`) must be one of these for
 * its `output_format`: refused before any work, not after separating (ffmpeg refuses it at the encode).
 */
export const LOSSY_SAMPLE_RATES: Readonly<Record<'m4a' | 'mp3', readonly number[]>> = {
  m4a: [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000],
  mp3: [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000],
};

/** The bit depths of flac (integer samples only) and wav (32 = float); m4a and mp3 have none and ignore it. */
export const FORMAT_BIT_DEPTHS: Readonly<Record<'flac' | 'wav', readonly (16 | 24 | 32)[]>> = {
  flac: [16, 24],
  wav: [16, 24, 32],
};

const list = (values: readonly number[]): string =>
  `${values.slice(0, -1).join(', ')} or ${String(values.at(-1))}`;

/**
 * Why `format` cannot be written at `sampleRate` Hz, as a sentence naming what it takes instead; undefined
 * when it can (or no rate was set: the files keep the separated audio's 44.1 kHz, which every format takes).
 */
export function sampleRateProblem(format: AudioFormat, sampleRate: number | undefined): string | undefined {
  if (sampleRate === undefined || (format !== 'm4a' && format !== 'mp3')) return undefined;
  const rates = LOSSY_SAMPLE_RATES[format];
  if (rates.includes(sampleRate)) return undefined;
  return `${format} cannot be written at ${sampleRate} Hz: it takes ${list(rates)} Hz (flac and wav take any rate from ${SAMPLE_RATE_RANGE.min} to ${SAMPLE_RATE_RANGE.max})`;
}

/**
 * The rate `format` is written at when it should keep `sampleRate` (the input's): that rate when the format
 * takes it, else the highest it takes below it (a 192 kHz studio file as m4a: 96 kHz), else its lowest.
 */
export function writableRate(format: AudioFormat, sampleRate: number): number {
  if (format !== 'm4a' && format !== 'mp3') return sampleRate;
  const rates = LOSSY_SAMPLE_RATES[format];
  if (rates.includes(sampleRate)) return sampleRate;
  return rates.filter((rate) => rate < sampleRate).at(-1) ?? rates[0]!;
}

/** Why `format` cannot hold `bitDepth`-bit samples, as a sentence naming what it takes instead; undefined when it can. */
export function bitDepthProblem(format: AudioFormat, bitDepth: 16 | 24 | 32 | undefined): string | undefined {
  if (bitDepth === undefined || (format !== 'flac' && format !== 'wav')) return undefined;
  const depths = FORMAT_BIT_DEPTHS[format];
  if (depths.includes(bitDepth)) return undefined;
  return `${format} cannot hold ${bitDepth}-bit samples: it takes ${list(depths)} (32-bit float is wav only)`;
}
