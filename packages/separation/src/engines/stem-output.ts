import { join } from 'node:path';
import type { Logger } from '@imk/log';
import { createWavWriter, type WavWriter } from '@imk/media';
import { STEM_NAMES, type StemName } from '@imk/protocol';
import type { PcmChannels, StemFiles, StemPcm } from '../engine.ts';
import type { FrameReader } from '../frame-reader.ts';
import { BLOCK_FRAMES, STEM_SAMPLE_RATE, closeAll, openAudio } from '../pcm-source.ts';

/** The stem files an engine returns: `<workDir>/<stem>.wav`. */
export function stemPaths(workDir: string): StemFiles {
  return Object.fromEntries(STEM_NAMES.map((stem) => [stem, join(workDir, `${stem}.wav`)])) as StemFiles;
}

/** Four float WAV writers, written together; `abort` deletes the partial files. */
export interface StemWriters {
  readonly files: StemFiles;
  readonly frames: number;
  write(stems: StemPcm): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

export function createStemWriters(workDir: string): StemWriters {
  const files = stemPaths(workDir);
  const writers = Object.fromEntries(
    STEM_NAMES.map((stem) => [
      stem,
      createWavWriter(files[stem], { sampleRate: STEM_SAMPLE_RATE, channels: 2 }),
    ]),
  ) as Record<StemName, WavWriter>;
  return {
    files,
    get frames() {
      return writers.vocals.frames;
    },
    async write(stems) {
      // Awaiting each write is the back-pressure that keeps memory flat when the disk is slower than the DSP.
      await Promise.all(STEM_NAMES.map((stem) => writers[stem].write(stems[stem])));
    },
    async close() {
      await Promise.all(STEM_NAMES.map((stem) => writers[stem].close()));
    },
    async abort() {
      await Promise.all(STEM_NAMES.map((stem) => writers[stem].abort().catch(() => undefined)));
    },
  };
}

/**
 * Copies stems made by another program into `<workDir>/<stem>.wav` in the engine contract's shape: float
 * WAV, 44.1 kHz stereo, exactly as long as the mixture decodes (a stem that is a few samples short or long,
 * as resampling leaves them, is padded with silence or trimmed).
 */
export async function conformStems(
  mixture: string,
  sources: StemFiles,
  workDir: string,
  options: { signal?: AbortSignal; logger?: Logger } = {},
): Promise<{ stems: StemFiles; frames: number }> {
  const readers: Record<string, FrameReader> = {};
  const writers = createStemWriters(workDir);
  let ok = false;
  try {
    readers.mixture = await openAudio(mixture, options.signal);
    for (const stem of STEM_NAMES) readers[stem] = await openAudio(sources[stem], options.signal);
    const extra: Record<string, number> = {};
    for (;;) {
      const reference = await readers.mixture.read(BLOCK_FRAMES);
      if (reference === undefined) break;
      const frames = reference[0]?.length ?? 0;
      const block = {} as StemPcm;
      for (const stem of STEM_NAMES) block[stem] = fitBlock(await readers[stem]!.read(frames), frames);
      await writers.write(block);
    }
    for (const stem of STEM_NAMES) {
      let left = 0;
      for (
        let b = await readers[stem]!.read(BLOCK_FRAMES);
        b !== undefined;
        b = await readers[stem]!.read(BLOCK_FRAMES)
      )
        left += b[0]?.length ?? 0;
      if (left > 0) extra[stem] = left;
    }
    if (Object.keys(extra).length > 0)
      options.logger?.warn({ extra_frames: extra }, 'stems were longer than the mixture; trimmed');
    await writers.close();
    ok = true;
    return { stems: writers.files, frames: writers.frames };
  } finally {
    await closeAll(readers);
    if (!ok) await writers.abort();
  }
}

function fitBlock(block: PcmChannels | undefined, frames: number): PcmChannels {
  return [0, 1].map((c) => {
    const channel = block?.[c] ?? block?.[0];
    if (channel?.length === frames) return channel;
    const out = new Float32Array(frames);
    if (channel !== undefined) out.set(channel.subarray(0, frames));
    return out;
  });
}
