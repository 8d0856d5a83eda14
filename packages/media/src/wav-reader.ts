import type { PcmChannels } from './types.ts';
import { assertLittleEndian } from './endian.ts';
import { openWavFile, readWavHeader } from './wav-header.ts';
import type { WavHeader } from './wav-header.ts';
import { throwIfAborted } from './abort.ts';

export interface ReadWavOptions {
  /** Sample frames per yielded block (the last block may be shorter). @default DEFAULT_BLOCK_FRAMES */
  blockFrames?: number;
  signal?: AbortSignal;
  /** The folder someone else writes that the file may come from: see WavOpenOptions. */
  within?: string;
}

export const DEFAULT_BLOCK_FRAMES = 65536;

/**
 * Streams a WAV file (float32 or 16/24/32-bit PCM) as planar float32 blocks, in pure TypeScript (no ffmpeg).
 * Yields the file's own channel count and sample rate (see readWavHeader); each block is freshly allocated.
 */
export async function* readWav(file: string, options: ReadWavOptions = {}): AsyncGenerator<PcmChannels> {
  assertLittleEndian();
  const open = options.within === undefined ? {} : { within: options.within };
  const header = await readWavHeader(file, open);
  const blockFrames = Math.max(1, Math.floor(options.blockFrames ?? DEFAULT_BLOCK_FRAMES));
  const handle = await openWavFile(file, open);
  try {
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
  } finally {
    await handle.close();
  }
}

/** Reads a whole WAV file into memory. */
export async function readWavFile(
  file: string,
  options: Omit<ReadWavOptions, 'blockFrames'> = {},
): Promise<{ channels: PcmChannels; sampleRate: number; frames: number }> {
  const header = await readWavHeader(file, options.within === undefined ? {} : { within: options.within });
  const channels = Array.from({ length: header.channels }, () => new Float32Array(header.frames));
  let offset = 0;
  for await (const block of readWav(file, { ...options, blockFrames: 1 << 18 })) {
    for (let c = 0; c < channels.length; c++) channels[c]!.set(block[c]!, offset);
    offset += block[0]!.length;
  }
  return { channels, sampleRate: header.sampleRate, frames: offset };
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
