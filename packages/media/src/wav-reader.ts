import type { PcmChannels } from './types.ts';
import { assertLittleEndian } from './endian.ts';
import type { FileHandle } from 'node:fs/promises';
import { openWavFile, readWavHeaderOf } from './wav-header.ts';
import type { Within } from './untrusted-inputs.ts';
import type { WavHeader } from './wav-header.ts';
import { throwIfAborted } from './abort.ts';
import { UntrustedFileError } from '@imk/fs-safe';

export interface ReadWavOptions {
  /** Sample frames per yielded block (the last block may be shorter). @default DEFAULT_BLOCK_FRAMES */
  blockFrames?: number;
  signal?: AbortSignal;
  /** The folder someone else writes that the file may come from: see WavOpenOptions. */
  within?: Within;
  /**
   * The shape a caller found in the file's header before (readWavHeader, to choose how to read it): a file
   * whose header, read now through the descriptor the samples come from, says otherwise was replaced in
   * between, and is refused (FILE_CHANGED, naming it) rather than read as the shape it no longer has.
   */
  shape?: Pick<WavHeader, 'sampleRate' | 'channels'>;
}

export const DEFAULT_BLOCK_FRAMES = 65536;

/**
 * Streams a WAV file (float32 or 16/24/32-bit PCM) as planar float32 blocks, in pure TypeScript (no ffmpeg).
 * Yields the file's own channel count and sample rate (see readWavHeader); each block is freshly allocated.
 * The file is opened once: its header and its samples are read through one descriptor, so that a name
 * swapped for another file between the two never gives one file's header with another's samples.
 */
export async function* readWav(file: string, options: ReadWavOptions = {}): AsyncGenerator<PcmChannels> {
  assertLittleEndian();
  const wav = await openWavFile(file, options.within === undefined ? {} : { within: options.within });
  const { handle } = wav;
  try {
    const header = checkShape(await readWavHeaderOf(handle, file), file, options.shape);
    yield* readBlocks(handle, header, file, options);
  } finally {
    await wav.close();
  }
}

/** Reads a whole WAV file into memory (one open, as readWav). */
export async function readWavFile(
  file: string,
  options: Omit<ReadWavOptions, 'blockFrames'> = {},
): Promise<{ channels: PcmChannels; sampleRate: number; frames: number }> {
  assertLittleEndian();
  const wav = await openWavFile(file, options.within === undefined ? {} : { within: options.within });
  const { handle } = wav;
  try {
    const header = checkShape(await readWavHeaderOf(handle, file), file, options.shape);
    const channels = Array.from({ length: header.channels }, () => new Float32Array(header.frames));
    let offset = 0;
    for await (const block of readBlocks(handle, header, file, { ...options, blockFrames: 1 << 18 })) {
      for (let c = 0; c < channels.length; c++) channels[c]!.set(block[c]!, offset);
      offset += block[0]!.length;
    }
    return { channels, sampleRate: header.sampleRate, frames: offset };
  } finally {
    await wav.close();
  }
}

/** `header`, unless a shape was given (ReadWavOptions.shape) and it says otherwise: then FILE_CHANGED. */
function checkShape(header: WavHeader, file: string, shape: ReadWavOptions['shape']): WavHeader {
  if (shape === undefined || (header.sampleRate === shape.sampleRate && header.channels === shape.channels))
    return header;
  throw new UntrustedFileError(
    'FILE_CHANGED',
    `${file} was replaced while it was being read: it was ${shape.sampleRate} Hz, ${shape.channels} channel(s), and is now ${header.sampleRate} Hz, ${header.channels} channel(s)`,
    file,
  );
}

/** The samples of the WAV open as `handle`, whose header is `header`, as planar blocks. */
async function* readBlocks(
  handle: FileHandle,
  header: WavHeader,
  file: string,
  options: ReadWavOptions,
): AsyncGenerator<PcmChannels> {
  const blockFrames = Math.max(1, Math.floor(options.blockFrames ?? DEFAULT_BLOCK_FRAMES));
  // An ArrayBuffer-backed buffer at offset 0 so that Float32Array views over it are aligned.
  const buffer = Buffer.from(new ArrayBuffer(blockFrames * header.blockAlign));
  let position = header.dataOffset;
  let remaining = header.frames;
  while (remaining > 0) {
    throwIfAborted(options.signal, file);
    const want = Math.min(blockFrames, remaining) * header.blockAlign;
    let got = 0;
    while (got < want) {
      const { bytesRead } = await handle.read(buffer, got, want - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const frames = Math.floor(got / header.blockAlign);
    if (frames === 0) break;
    yield deinterleave(buffer, frames, header);
    position += frames * header.blockAlign;
    remaining -= frames;
  }
}

function deinterleave(buffer: Buffer, frames: number, header: WavHeader): PcmChannels {
  const n = header.channels;
  const out = Array.from({ length: n }, () => new Float32Array(frames));
  const total = frames * n;
  if (header.encoding === 'float') {
    const src = new Float32Array(buffer.buffer, buffer.byteOffset, total);
    if (n === 2) {
      const l = out[0]!;
      const r = out[1]!;
      for (let i = 0, j = 0; i < frames; i++, j += 2) {
        l[i] = src[j]!;
        r[i] = src[j + 1]!;
      }
    } else {
      for (let c = 0; c < n; c++) {
        const dst = out[c]!;
        for (let i = 0, j = c; i < frames; i++, j += n) dst[i] = src[j]!;
      }
    }
    return out;
  }
  if (header.bitsPerSample === 16) {
    const src = new Int16Array(buffer.buffer, buffer.byteOffset, total);
    for (let c = 0; c < n; c++) {
      const dst = out[c]!;
      for (let i = 0, j = c; i < frames; i++, j += n) dst[i] = src[j]! / 32768;
    }
  } else if (header.bitsPerSample === 32) {
    const src = new Int32Array(buffer.buffer, buffer.byteOffset, total);
    for (let c = 0; c < n; c++) {
      const dst = out[c]!;
      for (let i = 0, j = c; i < frames; i++, j += n) dst[i] = src[j]! / 2147483648;
    }
  } else {
    for (let c = 0; c < n; c++) {
      const dst = out[c]!;
      for (let i = 0, p = c * 3; i < frames; i++, p += n * 3) {
        // 24-bit little-endian, sign-extended through the top byte.
        const v = buffer[p]! | (buffer[p + 1]! << 8) | ((buffer[p + 2]! << 24) >> 8);
        dst[i] = v / 8388608;
      }
    }
  }
  return out;
}
