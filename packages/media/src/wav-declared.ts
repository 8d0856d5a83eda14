import type { FileHandle } from 'node:fs/promises';
import { openWavFile, type WavOpenOptions } from './wav-header.ts';

/** A data chunk size that says nothing: writers that stream to a pipe leave 0 or 0xFFFFFFFF (RF64 too). */
const UNSAID_SIZES = new Set([0, 0xffffffff]);

/** How long a WAV's sound lasts by its header, and how much of it the file holds. */
export interface WavLengths {
  /** Seconds the data chunk's declared size stands for. */
  declaredSec: number;
  /** Seconds of sample frames the file holds (less than declaredSec when it was cut short). */
  heldSec: number;
}

/**
 * How long a RIFF/WAVE file's header says its sound lasts, in seconds: its data chunk's declared size over
 * the fmt chunk's block align and rate, whatever the sample format (8-bit, 64-bit float… too). ffprobe and
 * ffmpeg go by what the file holds, so a WAV cut short (an interrupted download or copy) probes and decodes
 * as a shorter, whole-looking song: this is how it is told apart. Undefined when the file is no RIFF/WAVE
 * file, or its header does not say (a size left 0 or 0xFFFFFFFF).
 */
export async function readWavDeclaredSeconds(
  file: string,
  options: WavOpenOptions = {},
): Promise<number | undefined> {
  const wav = await openWavFile(file, options);
  try {
    return (await wavLengthsOf(wav.handle))?.declaredSec;
  } finally {
    await wav.close();
  }
}

/**
 * What the header of the WAV open as `handle` declares and what the file holds (see readWavDeclaredSeconds),
 * read through that descriptor: for a reader that has the file open already (the inbox, which reads a
 * dropped file once). Undefined when it is no RIFF/WAVE file or its header does not say.
 */
export async function wavLengthsOf(handle: FileHandle): Promise<WavLengths | undefined> {
  const { size } = await handle.stat();
  const head = Buffer.alloc(12);
  await handle.read(head, 0, 12, 0);
  if (size < 12 || head.toString('ascii', 0, 4) !== 'RIFF' || head.toString('ascii', 8, 12) !== 'WAVE')
    return undefined;
  let rate: { sampleRate: number; blockAlign: number } | undefined;
  // A chunk's id and size, and (a fmt chunk) format tag, channels, rate, byte rate, block align, bits.
  const chunk = Buffer.alloc(24);
  for (let offset = 12; offset + 8 <= size;) {
    chunk.fill(0);
    await handle.read(chunk, 0, 24, offset);
    const id = chunk.toString('ascii', 0, 4);
    const length = chunk.readUInt32LE(4);
    if (id === 'fmt ' && length >= 16)
      rate = { sampleRate: chunk.readUInt32LE(12), blockAlign: chunk.readUInt16LE(20) };
    if (id === 'data') {
      if (rate === undefined || rate.sampleRate === 0 || rate.blockAlign === 0) return undefined;
      if (UNSAID_SIZES.has(length)) return undefined;
      const { blockAlign, sampleRate } = rate;
      const seconds = (bytes: number) => Math.floor(bytes / blockAlign) / sampleRate;
      return { declaredSec: seconds(length), heldSec: seconds(Math.min(length, size - offset - 8)) };
    }
    // Chunks are padded to an even length.
    offset += 8 + length + (length % 2);
  }
  return undefined;
}
