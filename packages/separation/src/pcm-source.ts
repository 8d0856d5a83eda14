import { extname } from 'node:path';
import { ImkError } from '@imk/errors';
import { decodeAudio, readWav, readWavHeader } from '@imk/media';
import type { PcmChannels } from './engine.ts';
import { createFrameReader, type FrameReader } from './frame-reader.ts';

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
  return createFrameReader(readWav(file, { blockFrames: BLOCK_FRAMES, signal }));
}

/**
 * Any audio as 44.1 kHz stereo: a WAV already in that shape is read directly (bit-exact, no ffmpeg);
 * anything else is decoded, resampled and up-mixed by ffmpeg exactly as the engines decode it.
 */
export async function openAudio(file: string, signal?: AbortSignal): Promise<FrameReader> {
  if (extname(file).toLowerCase() === '.wav') {
    const header = await readWavHeader(file).catch(() => undefined);
    if (header?.sampleRate === STEM_SAMPLE_RATE && header.channels === 2)
      return createFrameReader(readWav(file, { blockFrames: BLOCK_FRAMES, signal }));
  }
  return createFrameReader(
    decodeAudio(file, { sampleRate: STEM_SAMPLE_RATE, channels: 2, blockFrames: BLOCK_FRAMES, signal }),
  );
}

/** Reads one block from each reader; all must have the same length, or all be finished. */
export async function readLockstep(
  readers: Record<string, FrameReader>,
  frames: number,
): Promise<Record<string, PcmChannels> | undefined> {
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
