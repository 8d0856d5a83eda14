import type { FileHandle } from 'node:fs/promises';
import { createWavWriter, decodeAudio, type MediaInfo, type PcmChannels, type Within } from '@imk/media';
import { STEM_SAMPLE_RATE } from '@imk/separation';
import type { ReportProgress } from './stage-runner.ts';

/**
 * Decodes the input (any format ffmpeg reads, video included) to a float32 44.1 kHz stereo WAV: the
 * mixture the engine separates. Streams, so memory does not grow with the song.
 */
export async function decodeToWav(
  input: string,
  output: string,
  probed: MediaInfo,
  signal: AbortSignal,
  progress: ReportProgress,
  /**
   * The folder the input was found inside (the claimed bundle, maybe with the input held open): see
   * @imk/media's openInputs.
   */
  within?: Within,
  /** The input already opened the untrusted way: decoded from it, never by name (@imk/media's DecodeOptions). */
  handle?: FileHandle,
  /** The errors ffmpeg printed while decoding the input to its end (a damaged packet skipped): see DecodeOptions. */
  onDecodeErrors?: (lines: string[]) => void,
): Promise<void> {
  const writer = createWavWriter(output, { sampleRate: STEM_SAMPLE_RATE, channels: 2 });
  try {
    for await (const block of mixtureBlocks(input, probed, signal, progress, within, handle, onDecodeErrors))
      await writer.write(block);
    await writer.close();
  } catch (error) {
    await writer.abort().catch(() => undefined);
    throw error;
  }
}

/**
 * Reads the input through ffmpeg to its end as decodeToWav does, keeping nothing, only to hear what ffmpeg
 * says of it (damaged packets it skipped): for a job whose stems came from the cache, which needs no decoded
 * mixture, so that its manifest quotes the input's damage as a job that separated it does. The damage is a
 * fact of the input, not of where its stems came from.
 */
export async function listenToDecode(
  input: string,
  probed: MediaInfo,
  signal: AbortSignal,
  progress: ReportProgress,
  within: Within | undefined,
  onDecodeErrors: (lines: string[]) => void,
): Promise<void> {
  for await (const block of mixtureBlocks(input, probed, signal, progress, within, undefined, onDecodeErrors))
    void block;
}

/** The input decoded as the engine reads it (44.1 kHz stereo float), block by block, its progress reported. */
async function* mixtureBlocks(
  input: string,
  probed: MediaInfo,
  signal: AbortSignal,
  progress: ReportProgress,
  within: Within | undefined,
  handle: FileHandle | undefined,
  onDecodeErrors: ((lines: string[]) => void) | undefined,
): AsyncGenerator<PcmChannels> {
  const expected = (probed.duration_sec ?? 0) * STEM_SAMPLE_RATE;
  let frames = 0;
  for await (const block of decodeAudio(input, {
    sampleRate: STEM_SAMPLE_RATE,
    channels: 2,
    signal,
    info: probed,
    ...(within !== undefined && { within }),
    ...(handle !== undefined && { handle }),
    ...(onDecodeErrors !== undefined && { onDecodeErrors }),
  })) {
    yield block;
    frames += block[0]?.length ?? 0;
    if (expected > 0) progress(Math.min(1, frames / expected));
  }
}
