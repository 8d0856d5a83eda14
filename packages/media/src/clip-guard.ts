import type { AudioFormat } from '@imk/protocol';
import { inputArgs } from './input-args.ts';
import { runFfmpeg, withinOption } from './ffmpeg-run.ts';
import type { Within } from './untrusted-inputs.ts';

/**
 * The highest sample peak a lossy file (AAC, MP3) is written at when it had to be turned down (−0.1 dBFS).
 * A lossy encoder can overshoot its input's peak (a few tenths of a dB on dense material), so a turned-down
 * lossy file is also decoded and measured, and turned down further when it still goes over 0 dBFS.
 */
export const LOSSY_CEILING_DBFS = -0.1;
/** Index of the audio stream measured when not told, and streams in a file when not told. */
const FIRST_STREAM = 0;
const ONE_STREAM = 1;

/** How a file was turned down so that its peak does not clip. */
export interface ClipGuard {
  /** The constant gain applied to the whole file, in dB (negative, to 0.01 dB). */
  gainDb: number;
  /** The sample peak it had before, in dBFS (above the format's ceiling). */
  peakDbfs: number;
}

/**
 * The highest sample peak (linear, 1 = 0 dBFS) a format holds without clipping, or undefined for 32-bit
 * float WAV, which holds any level and is left exact. The largest integer sample is 1 LSB under full
 * scale; a peak is kept under it, so that no sample lands on it (a run of samples there reads as
 * clipped): 16 bit by 2.5 LSB (triangular dither and rounding move a sample by up to 1.5 LSB), 24 bit
 * (not dithered) by 2 LSB. Both are under 0.001 dB.
 */
export function clipCeiling(format: AudioFormat, bitDepth: 16 | 24 | 32 = 24): number | undefined {
  switch (format) {
    case 'm4a':
    case 'mp3':
      return 10 ** (LOSSY_CEILING_DBFS / 20);
    case 'flac':
    case 'wav':
      if (bitDepth === 32 && format === 'wav') return undefined;
      return bitDepth === 16 ? 1 - 2.5 / 2 ** 15 : 1 - 2 / 2 ** 23;
  }
}

/** Whether the format's encoder may overshoot its input's peak (lossy codecs). */
export function isLossy(format: AudioFormat): boolean {
  return format === 'm4a' || format === 'mp3';
}

/**
 * The sample peak (linear, 1 = 0 dBFS; 0 for digital silence) of a file's audio stream (the first), after
 * `filters` (e.g. the resampling its encode will do), measured by ffmpeg's astats in double precision.
 */
export async function measureSamplePeak(
  file: string,
  options: {
    filters?: string[];
    signal?: AbortSignal;
    /** Which audio stream (a .stem.mp4 has five). @default the first */
    stream?: number;
    /** The folder someone else writes that `file` may come from (a job's bundle): see OpenInputsOptions. */
    within?: Within;
  } = {},
): Promise<number> {
  // Pinned to double all the way: the null muxer's default encoder (16-bit) would otherwise have ffmpeg
  // convert (and clip) the samples before astats sees them.
  const filters = [
    'aformat=sample_fmts=dbl',
    ...(options.filters ?? []),
    'aformat=sample_fmts=dbl',
    'astats=measure_perchannel=none:measure_overall=Peak_level',
  ];
  const { stderr } = await runFfmpeg(
    [
      '-nostats',
      '-loglevel',
      'info',
      ...inputArgs(file),
      '-map',
      `0:a:${options.stream ?? FIRST_STREAM}`,
      '-af',
      filters.join(','),
      '-c:a',
      'pcm_f64le',
      '-f',
      'null',
      '-',
    ],
    { signal: options.signal, what: `measuring the peak of ${file}`, ...withinOption(options.within) },
  );
  const found = [...stderr.matchAll(/Peak level dB:\s*(\S+)/g)].at(-1)?.[1];
  const db = Number(found);
  // astats prints -inf for silence.
  return found === undefined || !Number.isFinite(db) ? 0 : 10 ** (db / 20);
}

/** The gain (linear) that brings `peak` down to `ceiling`, or undefined when it does not go over. */
export function clipGain(peak: number, ceiling: number): number | undefined {
  return peak > ceiling ? ceiling / peak : undefined;
}

/** What a ClipGuard says of a gain applied to a file whose peak was `peak` (both linear). */
export function describeGuard(gain: number, peak: number): ClipGuard {
  // Rounded away from zero: the figure never understates the cut.
  return {
    gainDb: Math.floor(20 * Math.log10(gain) * 100) / 100,
    peakDbfs: Math.round(20 * Math.log10(peak) * 100) / 100,
  };
}

/** One file of a set that is written with one gain (stems that must still sum to the mixture). */
export interface GuardedFile {
  /** The sample peak its encoder will get (linear, 1 = 0 dBFS), before any gain. */
  peak: number;
  format: AudioFormat;
  bitDepth?: 16 | 24 | 32;
  /** Audio streams in the written file, each measured when it is lossy (a .stem.mp4 has 5). @default one */
  streams?: number;
}

/** How a set of files was turned down, and which file's peak set the gain (its index). */
export interface GroupClipGuard extends ClipGuard {
  file: number;
}

/**
 * Encodes with `encode(gain)` (gain undefined: as it is) so that a file whose peak would clip is turned
 * down by one constant gain, just enough: `peak` is the input's sample peak as the encoder will get it.
 * A lossy file that had to be turned down is decoded and measured, and encoded once or twice more with
 * the extra gain while its decoded peak still goes over 0 dBFS. Returns how it was turned down, if it was.
 */
export async function encodeWithinCeiling(
  peak: number,
  format: AudioFormat,
  bitDepth: 16 | 24 | 32 | undefined,
  encode: (gain: number | undefined) => Promise<string>,
  signal?: AbortSignal,
): Promise<ClipGuard | undefined> {
  const file: GuardedFile = { peak, format, ...(bitDepth !== undefined && { bitDepth }) };
  const guard = await encodeGroupWithinCeiling([file], async (gain) => [await encode(gain)], signal);
  return guard === undefined ? undefined : { gainDb: guard.gainDb, peakDbfs: guard.peakDbfs };
}

/**
 * The same for a set of files whose levels must stay as they are to each other (a job's kept stems and its
 * .stem.mp4 sum to the mixture): when any of them would go over its format's ceiling, all are turned down
 * by the one gain that brings the worst of them just under it. `encode(gain)` writes them all and returns
 * their paths, in the order of `files`; it runs again (all of them, with the extra gain) while a lossy one
 * still decodes over 0 dBFS. Files without a ceiling (32-bit float WAV) never set the gain, so a set of
 * them is left exact.
 */
export async function encodeGroupWithinCeiling(
  files: readonly GuardedFile[],
  encode: (gain: number | undefined) => Promise<readonly string[]>,
  signal?: AbortSignal,
): Promise<GroupClipGuard | undefined> {
  let gain: number | undefined;
  let worst = -1;
  for (const [i, file] of files.entries()) {
    const ceiling = clipCeiling(file.format, file.bitDepth);
    const needed = ceiling === undefined ? undefined : clipGain(file.peak, ceiling);
    if (needed !== undefined && (gain === undefined || needed < gain)) {
      gain = needed;
      worst = i;
    }
  }
  let written = await encode(gain);
  if (gain === undefined) return undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    let extra = 1;
    for (const [i, file] of files.entries()) {
      if (!isLossy(file.format)) continue;
      for (let stream = 0; stream < (file.streams ?? ONE_STREAM); stream++) {
        const decoded = await measureSamplePeak(written[i]!, { stream, signal });
        if (decoded > 1) extra = Math.min(extra, 10 ** (LOSSY_CEILING_DBFS / 20) / decoded);
      }
    }
    if (extra === 1) break;
    gain *= extra;
    written = await encode(gain);
  }
  return { ...describeGuard(gain, files[worst]!.peak), file: worst };
}
