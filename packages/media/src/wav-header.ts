import type { FileHandle } from 'node:fs/promises';
import { ImkError } from '@imk/errors';
import { openUntrusted, type UntrustedFileError } from '@imk/fs-safe';
import { missingFileReason } from './missing-file.ts';
import { boundFor, heldOpen, type Within } from './untrusted-inputs.ts';
import './errors.ts';

export interface WavOpenOptions {
  /**
   * The folder someone else writes that the file may come from (a job's bundle): a file beneath it is
   * opened as an untrusted file there (no link followed, the descriptor inside the folder; see
   * OpenInputsOptions). Elsewhere links are followed, as ffprobe follows them. A file the folder holds
   * open (OpenedFolder) is read from that descriptor.
   */
  within?: Within;
}

/** WAVE_FORMAT_PCM, WAVE_FORMAT_IEEE_FLOAT and WAVE_FORMAT_EXTENSIBLE format tags. */
const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

/** Bytes of the header createWavWriter writes: RIFF(12) + fmt(8+18) + fact(8+4) + data(8). */
export const FLOAT_WAV_HEADER_BYTES = 58;
/** RIFF sizes are 32-bit: the data chunk cannot exceed this. */
export const MAX_WAV_DATA_BYTES = 0xffffffff - FLOAT_WAV_HEADER_BYTES;

export interface WavHeader {
  /** `float` = IEEE float samples, `pcm` = signed integer samples. */
  encoding: 'float' | 'pcm';
  bitsPerSample: 16 | 24 | 32;
  channels: number;
  sampleRate: number;
  /** Bytes per sample frame (all channels). */
  blockAlign: number;
  /** Byte offset of the first sample in the file. */
  dataOffset: number;
  /** Bytes of sample data (clamped to what the file holds). */
  dataBytes: number;
  /** Sample frames in the file. */
  frames: number;
}

/** The 58-byte header of a float32 WAV (fmt with cbSize 0, plus the `fact` chunk that non-PCM formats need). */
export function buildFloatWavHeader(channels: number, sampleRate: number, frames: number): Buffer {
  const blockAlign = channels * 4;
  const dataBytes = frames * blockAlign;
  const b = Buffer.alloc(FLOAT_WAV_HEADER_BYTES);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(FLOAT_WAV_HEADER_BYTES - 8 + dataBytes, 4);
  b.write('WAVE', 8, 'ascii');
  b.write('fmt ', 12, 'ascii');
  b.writeUInt32LE(18, 16);
  b.writeUInt16LE(FORMAT_FLOAT, 20);
  b.writeUInt16LE(channels, 22);
  b.writeUInt32LE(sampleRate, 24);
  b.writeUInt32LE(sampleRate * blockAlign, 28);
  b.writeUInt16LE(blockAlign, 32);
  b.writeUInt16LE(32, 34);
  b.writeUInt16LE(0, 36);
  b.write('fact', 38, 'ascii');
  b.writeUInt32LE(4, 42);
  b.writeUInt32LE(frames, 46);
  b.write('data', 50, 'ascii');
  b.writeUInt32LE(dataBytes, 54);
  return b;
}

/**
 * Opens a WAV file for reading, once it is known to be a regular file (fs-safe's openUntrusted: without
 * blocking, as a FIFO's open() would wait for a writer forever, then checked with fstat). Links are
 * followed, as ffprobe follows them. Throws ImkError('MEDIA_UNREADABLE') naming the file otherwise. A file
 * `within` holds open is that descriptor, left open by `close` (it is the caller's).
 */
export async function openWavFile(
  file: string,
  options: WavOpenOptions = {},
): Promise<{ handle: FileHandle; close: () => Promise<void> }> {
  const held = heldOpen(options.within, file);
  if (held !== undefined) return { handle: held, close: () => Promise.resolve() };
  try {
    const within = await boundFor(file, options.within);
    const { handle } = await openUntrusted(file, within === undefined ? { followLinks: true } : { within });
    return { handle, close: () => handle.close() };
  } catch (cause) {
    const kind = (cause as UntrustedFileError).details?.kind;
    // Not there: said as every reader of @imk/media says it (missing-file.ts), naming a missing folder.
    const why =
      typeof kind === 'string'
        ? `it is ${kind}`
        : ((await missingFileReason(file)) ?? (cause as Error).message);
    throw new ImkError('MEDIA_UNREADABLE', `cannot read WAV file ${file}: ${why}`, {
      cause,
      details: { file },
    });
  }
}

/**
 * Reads the header of a WAV file: float32, or 16/24/32-bit integer PCM (plain or WAVE_FORMAT_EXTENSIBLE).
 * Throws ImkError('WAV_UNSUPPORTED') for anything else, naming the file and what it found.
 */
export async function readWavHeader(file: string, options: WavOpenOptions = {}): Promise<WavHeader> {
  const wav = await openWavFile(file, options);
  try {
    return await readWavHeaderOf(wav.handle, file);
  } finally {
    await wav.close();
  }
}

/**
 * The header of the WAV file open as `handle` (`file` names it in messages): for a reader that goes on to
 * read the samples through the same descriptor, so that header and samples are of one file, whatever
 * happens to its name meanwhile.
 */
export async function readWavHeaderOf(handle: FileHandle, file: string): Promise<WavHeader> {
  const { size } = await handle.stat();
  const head = Buffer.alloc(12);
  await handle.read(head, 0, 12, 0);
  if (size < 12 || head.toString('ascii', 0, 4) !== 'RIFF' || head.toString('ascii', 8, 12) !== 'WAVE') {
    throw unsupported(
      file,
      'it is not a RIFF/WAVE file (RF64 and other containers need ffmpeg: use decodeAudio)',
    );
  }
  let fmt: Omit<WavHeader, 'dataOffset' | 'dataBytes' | 'frames'> | undefined;
  let offset = 12;
  const chunkHead = Buffer.alloc(8);
  while (offset + 8 <= size) {
    await handle.read(chunkHead, 0, 8, offset);
    const id = chunkHead.toString('ascii', 0, 4);
    const length = chunkHead.readUInt32LE(4);
    const body = offset + 8;
    if (id === 'fmt ') {
      const f = Buffer.alloc(Math.min(length, 40));
      await handle.read(f, 0, f.length, body);
      fmt = parseFmt(file, f);
    } else if (id === 'data') {
      if (fmt === undefined) throw unsupported(file, 'its data chunk comes before the fmt chunk');
      // Writers that stream to a pipe leave 0 or 0xFFFFFFFF here: the data then runs to the end of the file.
      const declared = length === 0 || length === 0xffffffff ? size - body : length;
      const available = Math.min(declared, size - body);
      const frames = Math.floor(available / fmt.blockAlign);
      return { ...fmt, dataOffset: body, dataBytes: frames * fmt.blockAlign, frames };
    }
    // Chunks are padded to an even length.
    offset = body + length + (length % 2);
  }
  throw unsupported(file, fmt === undefined ? 'it has no fmt chunk' : 'it has no data chunk');
}

function parseFmt(file: string, f: Buffer): Omit<WavHeader, 'dataOffset' | 'dataBytes' | 'frames'> {
  if (f.length < 16) throw unsupported(file, 'its fmt chunk is too short');
  let tag = f.readUInt16LE(0);
  const channels = f.readUInt16LE(2);
  const sampleRate = f.readUInt32LE(4);
  const blockAlign = f.readUInt16LE(12);
  const bits = f.readUInt16LE(14);
  // WAVE_FORMAT_EXTENSIBLE: the real format tag is the first two bytes of the SubFormat GUID.
  if (tag === FORMAT_EXTENSIBLE && f.length >= 26) tag = f.readUInt16LE(24);
  let encoding: WavHeader['encoding'];
  if (tag === FORMAT_FLOAT && bits === 32) encoding = 'float';
  else if (tag === FORMAT_PCM && (bits === 16 || bits === 24 || bits === 32)) encoding = 'pcm';
  else
    throw unsupported(
      file,
      `its sample format is tag ${tag}, ${bits}-bit (supported: float32, 16/24/32-bit PCM)`,
    );
  if (channels < 1 || sampleRate < 1 || blockAlign !== channels * (bits / 8)) {
    throw unsupported(
      file,
      `its fmt chunk is inconsistent (${channels} channels, block align ${blockAlign})`,
    );
  }
  return { encoding, bitsPerSample: bits, channels, sampleRate, blockAlign };
}

function unsupported(file: string, why: string): ImkError {
  return new ImkError('WAV_UNSUPPORTED', `cannot read ${file} as WAV: ${why}`, { details: { file } });
}
