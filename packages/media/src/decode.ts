import type { FileHandle } from 'node:fs/promises';
import { inputArgs } from './input-args.ts';
import { ImkError } from '@imk/errors';
import { execa } from 'execa';
import type { PcmChannels } from './types.ts';
import { assertLittleEndian } from './endian.ts';
import { probeMedia, type MediaInfo } from './probe.ts';
import { FFMPEG_BASE_ARGS, ffmpegHasSoxr, lastLines } from './ffmpeg-run.ts';
import { OWN_PROCESS_GROUP, resolveTool, trackToolGroup } from '@imk/tools';
import { DEFAULT_BLOCK_FRAMES } from './wav-reader.ts';
import { missingFileReason } from './missing-file.ts';
import { openInputs, type Within } from './untrusted-inputs.ts';
import './errors.ts';

export interface DecodeOptions {
  /** Output sample rate; other rates are resampled (soxr when ffmpeg has it). @default DEFAULT_SAMPLE_RATE */
  sampleRate?: number;
  /** Output channels: 2 (mono is copied to both) or 1 (downmixed). @default DECODE_CHANNELS */
  channels?: 1 | 2;
  /** Sample frames per yielded block (the last block may be shorter). @default DEFAULT_BLOCK_FRAMES */
  blockFrames?: number;
  /** Stops ffmpeg and rejects with ImkError('ABORTED'). */
  signal?: AbortSignal;
  /** What probeMedia said of this file, when the caller has it already: saves running ffprobe again. */
  info?: MediaInfo;
  /** The folder `file` was found inside (a job's bundle): see ProbeOptions.within and openInputs. */
  within?: Within;
  /** `file` already opened by the caller the untrusted way: read from it, never by name (ProbeOptions.handle). */
  handle?: FileHandle;
  /**
   * Called once, after ffmpeg decoded the file to its end, with the errors it printed on the way (each line
   * once, the file named as the caller named it), when it printed any: a damaged packet is skipped, not
   * fatal, so a file corrupted mid-way or cut short still decodes, to less than it holds.
   */
  onDecodeErrors?: (lines: string[]) => void;
}

export const DEFAULT_SAMPLE_RATE = 44100;
/** Channels decodeAudio gives when not told: stereo. */
export const DECODE_CHANNELS = 2;

/**
 * Decodes the first audio stream of any file ffmpeg reads into planar float32 blocks, streamed from an
 * ffmpeg pipe so memory stays bounded. Probes first (unless given `info`), so bad input fails with
 * MEDIA_UNREADABLE, MEDIA_EMPTY or MEDIA_NO_AUDIO naming the file. Stopping the iteration early stops ffmpeg.
 */
export async function* decodeAudio(file: string, options: DecodeOptions = {}): AsyncGenerator<PcmChannels> {
  assertLittleEndian();
  const sampleRate = options.sampleRate ?? DEFAULT_SAMPLE_RATE;
  const channels = options.channels ?? DECODE_CHANNELS;
  const blockFrames = Math.max(1, Math.floor(options.blockFrames ?? DEFAULT_BLOCK_FRAMES));
  const info =
    options.info ??
    (await probeMedia(file, {
      ...(options.signal !== undefined && { signal: options.signal }),
      ...(options.within !== undefined && { within: options.within }),
      ...(options.handle !== undefined && { handle: options.handle }),
    }));
  const filters: string[] = [];
  // ffmpeg's own mono->stereo upmix lowers each side by 3 dB; copy the channel instead so L = R = mono.
  if (channels === 2 && info.audio?.channels === 1) filters.push('pan=stereo|c0=c0|c1=c0');
  filters.push(
    (await ffmpegHasSoxr()) ? `aresample=${sampleRate}:resampler=soxr` : `aresample=${sampleRate}`,
  );
  const args = [
    ...FFMPEG_BASE_ARGS,
    ...inputArgs(file),
    '-map',
    '0:a:0',
    '-vn',
    '-sn',
    '-dn',
    '-af',
    filters.join(','),
    '-ac',
    String(channels),
    '-ar',
    String(sampleRate),
    '-c:a',
    'pcm_f32le',
    '-f',
    'f32le',
    'pipe:1',
  ];
  const ffmpeg = await resolveTool('ffmpeg');
  // The input is read from the descriptor opened and checked here, not by name (untrusted-inputs.ts).
  const opened = await openInputs(args, {
    ...(options.within !== undefined && { within: options.within }),
    ...(options.handle !== undefined && { opened: new Map([[file, options.handle]]) }),
  });
  const subprocess = trackToolGroup(
    execa(ffmpeg, opened.args, {
      ...OWN_PROCESS_GROUP,
      reject: false,
      stdio: opened.stdio,
      buffer: { stdout: false, stderr: true },
      cancelSignal: options.signal,
    }),
  );
  void subprocess.finally(() => opened.close()).catch(() => undefined);
  const frameBytes = channels * 4;
  const block = Buffer.from(new ArrayBuffer(blockFrames * frameBytes));
  let filled = 0;
  let finished = false;
  let yielded = false;
  try {
    for await (const chunk of subprocess.stdout as AsyncIterable<Buffer>) {
      let offset = 0;
      while (offset < chunk.length) {
        const n = Math.min(block.length - filled, chunk.length - offset);
        chunk.copy(block, filled, offset, offset + n);
        filled += n;
        offset += n;
        if (filled === block.length) {
          yielded = true;
          yield planarFrom(block, blockFrames, channels);
          filled = 0;
        }
      }
    }
    const result = await subprocess;
    if (result.isCanceled)
      throw new ImkError('ABORTED', `aborted while decoding ${file}`, { cause: options.signal?.reason });
    if (result.signal !== undefined)
      // Killed (the OOM killer, a person): not the file's fault, so an ffmpeg failure (worth another attempt),
      // as every other ffmpeg run that was killed says (ffmpeg-run.ts), not the file's MEDIA_DECODE_FAILED.
      throw new ImkError('FFMPEG_FAILED', `ffmpeg was killed (${result.signal}) while decoding ${file}`, {
        details: { file, signal: result.signal },
      });
    if (result.exitCode !== 0) {
      // Moved or deleted since it was probed: said as that, not as a file ffmpeg cannot decode.
      const missing = await missingFileReason(file);
      if (missing !== undefined)
        throw new ImkError('MEDIA_UNREADABLE', `cannot read media file ${file}: ${missing}`, {
          details: { file },
        });
      throw new ImkError(
        'MEDIA_DECODE_FAILED',
        `ffmpeg could not decode ${file}: ${lastLines(opened.named(result.stderr), 3) || `exit ${String(result.exitCode)}`}`,
        {
          details: { file },
        },
      );
    }
    const printed = [
      ...new Set(
        opened
          .named(result.stderr)
          .split('\n')
          .map((line) => line.trim())
          .filter(Boolean),
      ),
    ];
    if (printed.length > 0) options.onDecodeErrors?.(printed);
    const frames = Math.floor(filled / frameBytes);
    if (frames === 0 && !yielded) {
      throw new ImkError('MEDIA_EMPTY', `media file ${file} decoded to no audio samples`, {
        details: { file },
      });
    }
    if (frames > 0) yield planarFrom(block, frames, channels);
    finished = true;
  } finally {
    if (!finished) {
      // The consumer stopped early or something threw: do not leave ffmpeg running.
      subprocess.kill();
      await subprocess.catch(() => undefined);
    }
  }
}

export interface DecodedAudio {
  channels: PcmChannels;
  sampleRate: number;
  frames: number;
}

/** Decodes a whole file into memory (see decodeAudio for the options). */
export async function readAudio(file: string, options: DecodeOptions = {}): Promise<DecodedAudio> {
  const sampleRate = options.sampleRate ?? DEFAULT_SAMPLE_RATE;
  const count = options.channels ?? DECODE_CHANNELS;
  const blocks: PcmChannels[] = [];
  let frames = 0;
  for await (const block of decodeAudio(file, { ...options, blockFrames: options.blockFrames ?? 1 << 18 })) {
    blocks.push(block);
    frames += block[0]!.length;
  }
  const channels = Array.from({ length: count }, () => new Float32Array(frames));
  let offset = 0;
  for (const block of blocks) {
    for (let c = 0; c < count; c++) channels[c]!.set(block[c]!, offset);
    offset += block[0]!.length;
  }
  return { channels, sampleRate, frames };
}

function planarFrom(buffer: Buffer, frames: number, channels: number): PcmChannels {
  const src = new Float32Array(buffer.buffer, buffer.byteOffset, frames * channels);
  if (channels === 1) return [src.slice()];
  const l = new Float32Array(frames);
  const r = new Float32Array(frames);
  for (let i = 0, j = 0; i < frames; i++, j += 2) {
    l[i] = src[j]!;
    r[i] = src[j + 1]!;
  }
  return [l, r];
}
