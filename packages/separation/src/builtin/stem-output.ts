import type { PcmChannels, StemPcm } from '../engine.ts';
import type { SampleFifo } from './sample-fifo.ts';

/** Order of the resynthesised stems in the accumulators; "other" is derived from them. */
const SYNTH_STEMS = ['vocals', 'drums', 'bass'] as const;

/**
 * Overlap-add accumulators for the resynthesised stems and the finished audio waiting to be returned.
 * Only the audio between two take() calls is held, so memory follows the block size, not the song.
 */
export interface StemOutput {
  /** Accumulator (fftSize floats) of stem s (0 vocals, 1 drums, 2 bass), channel c; index 0 = oldest sample. */
  accumulator(stem: number, channel: number): Float32Array;
  /**
   * Finishes the oldest `length` samples (absolute position `from`): applies the overlap-add gain and
   * derives "other" as mixture − vocals − drums − bass, which makes the four stems sum to the mixture.
   */
  emitBlock(mixture: SampleFifo, from: number, length: number, gain: Float32Array): void;
  /** Moves the accumulators on by one hop. */
  advance(): void;
  /** The audio finished since the last call, or undefined if none. */
  take(): StemPcm | undefined;
  empty(): StemPcm;
}

export function createStemOutput(channels: number, fftSize: number, hop: number): StemOutput {
  const acc = SYNTH_STEMS.map(() => Array.from({ length: channels }, () => new Float32Array(fftSize)));
  const mix = new Float32Array(hop);
  // Finished audio, per stem (vocals, drums, bass, other) and channel, grown by doubling when needed.
  let pending = Array.from({ length: 4 }, () =>
    Array.from({ length: channels }, () => new Float32Array(hop * 8)),
  );
  let count = 0;

  const ensure = (extra: number): void => {
    const capacity = pending[0]![0]!.length;
    if (count + extra <= capacity) return;
    let next = capacity * 2;
    while (next < count + extra) next *= 2;
    pending = pending.map((stem) =>
      stem.map((ch) => {
        const grown = new Float32Array(next);
        grown.set(ch.subarray(0, count));
        return grown;
      }),
    );
  };

  const build = (length: number, source: (stem: number, channel: number) => Float32Array): StemPcm => {
    const pcm = (stem: number): PcmChannels =>
      Array.from({ length: channels }, (_, c) => source(stem, c).slice(0, length));
    return { vocals: pcm(0), drums: pcm(1), bass: pcm(2), other: pcm(3) };
  };

  return {
    accumulator: (stem, channel) => acc[stem]![channel]!,
    emitBlock(mixture, from, length, gain) {
      ensure(length);
      for (let c = 0; c < channels; c++) {
        mixture.read(c, from, mix);
        const v = acc[0]![c]!;
        const d = acc[1]![c]!;
        const b = acc[2]![c]!;
        const outV = pending[0]![c]!;
        const outD = pending[1]![c]!;
        const outB = pending[2]![c]!;
        const outO = pending[3]![c]!;
        for (let i = 0; i < length; i++) {
          const g = gain[i]!;
          const vi = Math.fround(v[i]! * g);
          const di = Math.fround(d[i]! * g);
          const bi = Math.fround(b[i]! * g);
          const j = count + i;
          outV[j] = vi;
          outD[j] = di;
          outB[j] = bi;
          outO[j] = mix[i]! - vi - di - bi;
        }
      }
      count += length;
    },
    advance() {
      for (const stem of acc) {
        for (const ch of stem) {
          ch.copyWithin(0, hop);
          ch.fill(0, fftSize - hop);
        }
      }
    },
    take() {
      if (count === 0) return undefined;
      const stems = build(count, (s, c) => pending[s]![c]!);
      count = 0;
      return stems;
    },
    empty: () => build(0, () => new Float32Array(0)),
  };
}
