import type { Within } from '@imk/media';
import { extname } from 'node:path';
import { ImkError } from '@imk/errors';
import { decodeAudio, probeMedia, readWav, readWavHeader, type WavHeader } from '@imk/media';
import type { PcmChannels } from './engine.ts';
import { createFrameReader, type FrameReader } from './frame-reader.ts';
import './errors.ts';

export const STEM_SAMPLE_RATE = 44100;
export const BLOCK_FRAMES = 65536;

/** A stem file as written by an engine: float WAV, 44.1 kHz stereo, read in pure TypeScript. */
export async function openStem(file: string, signal?: AbortSignal): Promise<FrameReader> {
  const header = await readWavHeader(file);
  if (header.sampleRate !== STEM_SAMPLE_RATE || header.channels !== 2) {
    throw new ImkError(
      'STEM_FORMAT',
      `stem ${file} is ${header.sampleRate} Hz, ${header.channels} channel(s); stems must be ${STEM_SAMPLE_RATE} Hz stereo WAV`,
      { details: { file } },
    );
  }
  return createFrameReader(readWav(file, { blockFrames: BLOCK_FRAMES, signal, shape: header }));
}

/** An engine's input, opened once and readable as often as the engine needs (two-pass engines read it twice). */
export interface MixtureSource {
  /** Sample frames the blocks will hold, as far as known before reading (for progress). */
  expectedFrames: number | undefined;
  /** The input as 44.1 kHz stereo blocks of BLOCK_FRAMES, from the start. */
  blocks(): AsyncGenerator<PcmChannels>;
}

/** The header of a WAV already in the stems' shape (44.1 kHz stereo), which is read without ffmpeg. */
async function stemShapedWav(file: string, within?: Within): Promise<WavHeader | undefined> {
  if (extname(file).toLowerCase() !== '.wav') return undefined;
  const header = await readWavHeader(file, within === undefined ? {} : { within }).catch(() => undefined);
  return header?.sampleRate === STEM_SAMPLE_RATE && header.channels === 2 ? header : undefined;
}

/**
 * An engine's input as 44.1 kHz stereo: a WAV already in that shape (the decoded mixture the worker writes)
 * is read directly, bit-exact and without ffmpeg; anything else (and an empty WAV, which ffmpeg reports as
 * MEDIA_EMPTY) is probed once, so bad input fails here with the media error, and decoded by ffmpeg.
 */
export async function openMixture(file: string, signal?: AbortSignal): Promise<MixtureSource> {
  const header = await stemShapedWav(file);
  if (header !== undefined && header.frames > 0)
    return {
      expectedFrames: header.frames,
      blocks: () => readWav(file, { blockFrames: BLOCK_FRAMES, signal, shape: header }),
    };
  const info = await probeMedia(file, { signal });
  const options = {
    sampleRate: STEM_SAMPLE_RATE,
    channels: 2,
    blockFrames: BLOCK_FRAMES,
    signal,
    info,
  } as const;
  return {
    expectedFrames: info.duration_sec === null ? undefined : info.duration_sec * STEM_SAMPLE_RATE,
    blocks: () => decodeAudio(file, options),
  };
}

/**
 * Any audio as 44.1 kHz stereo: a WAV already in that shape is read directly (bit-exact, no ffmpeg);
 * anything else is decoded, resampled and up-mixed by ffmpeg exactly as the engines decode it.
 */
export async function openAudio(file: string, signal?: AbortSignal, within?: Within): Promise<FrameReader> {
  // `within`: the folder someone else writes that `file` may come from (a job's bundle; see @imk/media's
  // OpenInputsOptions): read from there, the file must be inside it still, however it is read.
  const bound = within === undefined ? {} : { within };
  const header = await stemShapedWav(file, within);
  if (header !== undefined)
    // Read in the shape found (one open for header and samples; a file replaced since is refused).
    return createFrameReader(readWav(file, { blockFrames: BLOCK_FRAMES, signal, shape: header, ...bound }));
  return createFrameReader(
    decodeAudio(file, {
      sampleRate: STEM_SAMPLE_RATE,
      channels: 2,
      blockFrames: BLOCK_FRAMES,
      signal,
      ...bound,
    }),
  );
}

/**
 * Reads one block from each reader; all must have the same length, or all be finished. No readers at all is
 * the end (undefined), never an empty block a caller's read-until-the-end loop would ask for forever.
 */
export async function readLockstep(
  readers: Record<string, FrameReader>,
  frames: number,
): Promise<Record<string, PcmChannels> | undefined> {
  if (Object.keys(readers).length === 0) return undefined;
  const entries = await Promise.all(
    Object.entries(readers).map(async ([name, reader]) => [name, await reader.read(frames)] as const),
  );
  const lengths = new Set(entries.map(([, block]) => block?.[0]?.length ?? 0));
  if (lengths.size > 1) {
    const described = entries.map(([name, block]) => `${name}: ${block?.[0]?.length ?? 0}`).join(', ');
    throw new ImkError(
      'STEM_LENGTH_MISMATCH',
      `stems and mixture differ in length (frames in the last block: ${described})`,
    );
  }
  if (lengths.has(0)) return undefined;
  return Object.fromEntries(entries) as Record<string, PcmChannels>;
}

export async function closeAll(readers: Record<string, FrameReader>): Promise<void> {
  await Promise.all(Object.values(readers).map((reader) => reader.close().catch(() => undefined)));
}
