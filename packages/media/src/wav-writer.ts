import { open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { ImkError } from '@imk/errors';
import { writeError, writeFully } from '@imk/fs-safe';
import type { PcmChannels } from './types.ts';
import { FLOAT_WAV_HEADER_BYTES, MAX_WAV_DATA_BYTES, buildFloatWavHeader } from './wav-header.ts';
import { assertLittleEndian } from './endian.ts';
import './errors.ts';

export interface WavWriterOptions {
  sampleRate: number;
  /** Channel count; every block written must have exactly this many channels. */
  channels: number;
}

export interface WavWriter {
  /** Appends one planar block (all channels the same length). Calls are serialised in order. */
  write(block: PcmChannels): Promise<void>;
  /** Patches the header sizes, fsyncs and closes the file. */
  close(): Promise<void>;
  /** Closes and deletes the partial file (after an error or abort). */
  abort(): Promise<void>;
  /** Sample frames written so far. */
  readonly frames: number;
}

/**
 * Streams a float32 WAV (WAVE_FORMAT_IEEE_FLOAT, 32-bit) to disk: a header with zero sizes first, then
 * interleaved samples as blocks arrive, and the real sizes patched in on close.
 */
export function createWavWriter(file: string, options: WavWriterOptions): WavWriter {
  assertLittleEndian();
  const { channels, sampleRate } = options;
  if (!Number.isInteger(channels) || channels < 1 || !Number.isInteger(sampleRate) || sampleRate < 1) {
    throw new ImkError(
      'WAV_INVALID_OPTIONS',
      `createWavWriter(${file}): channels and sampleRate must be positive integers`,
    );
  }
  let frames = 0;
  let state: 'open' | 'closed' = 'open';
  // Every failure of the file itself (disk full, file size limit, no permission) names it.
  const named = (error: unknown): never => {
    throw writeError(file, error);
  };
  const opened: Promise<FileHandle> = open(file, 'w')
    .then(async (handle) => {
      await writeFully(handle, buildFloatWavHeader(channels, sampleRate, 0), 0);
      return handle;
    })
    .catch(named);
  // Keep the open error for write/close; avoid an unhandled rejection if nobody calls them.
  opened.catch(() => undefined);
  let queue: Promise<unknown> = opened;

  const enqueue = <T>(task: (handle: FileHandle) => Promise<T>): Promise<T> => {
    const next = queue.then(() => opened).then(task);
    queue = next.catch(() => undefined);
    return next;
  };

  return {
    get frames() {
      return frames;
    },
    write(block) {
      if (state !== 'open') return Promise.reject(new ImkError('WAV_CLOSED', `write after close: ${file}`));
      const length = checkBlock(file, block, channels);
      if ((frames + length) * channels * 4 > MAX_WAV_DATA_BYTES) {
        return Promise.reject(
          new ImkError('WAV_TOO_LARGE', `${file} would exceed the 4 GiB WAV limit`, { details: { file } }),
        );
      }
      const interleaved = interleave(block, length);
      frames += length;
      const bytes = Buffer.from(interleaved.buffer, interleaved.byteOffset, interleaved.byteLength);
      // Explicit positions: the header was written with pwrite, which does not move the file offset.
      const position = FLOAT_WAV_HEADER_BYTES + (frames - length) * channels * 4;
      // Written whole: a write the disk cuts short is written on until it fails with the disk's error.
      return enqueue(async (handle) => {
        await writeFully(handle, bytes, position).catch(named);
      });
    },
    close() {
      if (state !== 'open') return queue.then(() => undefined);
      state = 'closed';
      return enqueue(async (handle) => {
        try {
          await writeFully(handle, buildFloatWavHeader(channels, sampleRate, frames), 0);
          await handle.sync();
        } catch (error) {
          named(error);
        } finally {
          await handle.close();
        }
      });
    },
    async abort() {
      const wasOpen = state === 'open';
      state = 'closed';
      await queue;
      if (wasOpen) await opened.then((h) => h.close()).catch(() => undefined);
      await rm(file, { force: true });
    },
  };
}

function checkBlock(file: string, block: PcmChannels, channels: number): number {
  if (block.length !== channels) {
    throw new ImkError(
      'WAV_INVALID_BLOCK',
      `${file}: block has ${block.length} channels, the writer was opened with ${channels}`,
    );
  }
  const length = block[0]?.length ?? 0;
  for (const channel of block) {
    if (channel.length !== length) {
      throw new ImkError('WAV_INVALID_BLOCK', `${file}: the channels of a block differ in length`);
    }
  }
  return length;
}

/** Planar -> interleaved float32. */
export function interleave(block: PcmChannels, length: number): Float32Array {
  const channels = block.length;
  const out = new Float32Array(length * channels);
  if (channels === 2) {
    const l = block[0]!;
    const r = block[1]!;
    for (let i = 0, j = 0; i < length; i++, j += 2) {
      out[j] = l[i]!;
      out[j + 1] = r[i]!;
    }
    return out;
  }
  for (let c = 0; c < channels; c++) {
    const src = block[c]!;
    for (let i = 0, j = c; i < length; i++, j += channels) out[j] = src[i]!;
  }
  return out;
}
