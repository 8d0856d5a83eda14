import type { PcmChannels } from '../engine.ts';
import { createRealFft } from '../dsp/fft.ts';
import { createStridedDots } from '../dsp/wasm-strided-dots.ts';
import { hannWindow } from '../dsp/stft-window.ts';
import { resolveBuiltinParams, type BuiltinParams } from './params.ts';
import {
  bandFeature,
  bandIndexPerBin,
  outsideShareMedian,
  songVocalWeight,
  vocalBandWeights,
  weighFeature,
} from './repet-features.ts';
import { createSampleFifo, type SampleFifo } from './sample-fifo.ts';
import { addMagnitudes, bandWeights } from './spectrum.ts';

/**
 * A compact whole-song index for REPET-SIM: for every STFT frame of the song (or every 2nd, 4th… once
 * the song is longer than `repetIndexMaxSec`), its normalised similarity feature (the same mel-band
 * vector the windowed search uses) and its magnitudes in the vocal band, quantised to 8 bits on a log
 * scale (0.375 dB steps over 95 dB below the frame's peak). Built by a first pass over the song, it lets
 * the second pass pick repeating frames from anywhere in the song while memory stays bounded by the
 * index's capacity, not by the song's length.
 */
export interface RepetIndex {
  /** Entries held. */
  readonly count: number;
  /** Every `stride`-th frame is held (1 until the song outgrows the capacity). */
  readonly stride: number;
  /** Entries the index can hold (its memory is fixed by this number). */
  readonly capacity: number;
  /** Bytes of the index's arrays. */
  readonly bytes: number;
  /** Vocal-band bins [binLo, binHi) whose magnitudes are held. */
  readonly binLo: number;
  readonly binHi: number;
  /** STFT frame number of entry e (increasing with e). */
  frame(e: number): number;
  /** Frame numbers of the entries, [0, count) used. */
  readonly frames: Int32Array;
  /** Band features of the entries, entry e at [e·bands, (e + 1)·bands). */
  readonly features: Float32Array;
  /** Normalised band feature of entry e (a view: do not modify). */
  feature(e: number): Float32Array;
  /**
   * The per-band weights the features were weighed by (`repetVocalWeight`, a long song), which a frame's
   * own feature must be weighed by too before it is compared with them; undefined: none.
   */
  readonly bandWeights: Float32Array | undefined;
  /**
   * out[at + i] = feature · (band feature of entry first + i·step), i < count: the similarities of a frame
   * with every step-th entry (in WebAssembly SIMD where it runs; the same numbers without it).
   */
  similarities(
    feature: Float32Array,
    first: number,
    step: number,
    count: number,
    out: Float64Array,
    at: number,
  ): void;
  /** Writes entry e's (dequantised) magnitudes for bins [binLo, binHi) into out. */
  magnitudes(e: number, out: Float32Array): void;
}

export interface RepetIndexer {
  push(block: PcmChannels): void;
  /** Ends the first pass and returns the index. */
  finish(): RepetIndex;
}

const STEP_DB = 0.375;
/** The most similarities one call of the sweep's kernel computes (a longer sweep is done in parts). */
const SWEEP_PART = 4096;
const LEVELS = 256;

/** Frame range [binLo, binHi) of the vocal band for the given parameters. */
export function vocalBinRange(p: BuiltinParams, sampleRate: number): { binLo: number; binHi: number } {
  const bins = p.fftSize / 2 + 1;
  const band = bandWeights(bins, sampleRate / p.fftSize, p.vocalLowCutHz, p.vocalLowRampHz, p.vocalHighCutHz);
  let binLo = 0;
  while (binLo < bins && band[binLo] === 0) binLo++;
  let binHi = bins;
  while (binHi > binLo && band[binHi - 1] === 0) binHi--;
  return { binLo, binHi };
}

/**
 * First pass of the builtin engine: feed the whole song (any block sizes), then finish(). Frames are
 * numbered exactly as the block separator numbers them.
 */
export function createRepetIndexer(sampleRate: number, overrides: Partial<BuiltinParams> = {}): RepetIndexer {
  const p = resolveBuiltinParams(overrides);
  const N = p.fftSize;
  const H = p.hop;
  const overlap = N / H;
  const bins = N / 2 + 1;
  const bands = p.repetBands;
  const { binLo, binHi } = vocalBinRange(p, sampleRate);
  const width = Math.max(0, binHi - binLo);
  const capacity = Math.max(16, Math.ceil((p.repetIndexMaxSec * sampleRate) / H));
  const frames = new Int32Array(capacity);
  const sweep = createStridedDots(capacity, bands, SWEEP_PART);
  const features = sweep.rows;
  const quantised = new Uint8Array(capacity * width);
  const peaks = new Float32Array(capacity);
  const bandOf = bandIndexPerBin(bins, sampleRate, N, bands, p.repetMaxHz);
  const fft = createRealFft(N);
  const window = hannWindow(N);
  const frame = new Float32Array(N);
  const spectrum = new Float32Array(N);
  const mags = new Float32Array(bins);
  const table = Float32Array.from({ length: LEVELS }, (_, q) => 10 ** (((q - (LEVELS - 1)) * STEP_DB) / 20));
  // Level 0 means "nothing": 0, so dequantising needs no branch. `scaled` is the table times one entry's
  // peak, in float64 as the product was before: the same float32 magnitudes come out.
  table[0] = 0;
  const scaled = new Float64Array(LEVELS);
  let count = 0;
  let stride = 1;
  let channels = 0;
  let next = 0; // next frame to analyse
  let fifo: SampleFifo | undefined;

  const compact = (): void => {
    const kept = Math.ceil(count / 2);
    for (let e = 1; e < kept; e++) {
      frames[e] = frames[2 * e]!;
      peaks[e] = peaks[2 * e]!;
      features.copyWithin(e * bands, 2 * e * bands, (2 * e + 1) * bands);
      quantised.copyWithin(e * width, 2 * e * width, (2 * e + 1) * width);
    }
    count = kept;
    stride *= 2;
  };

  const analyse = (f: number): void => {
    if (f % stride !== 0) return;
    mags.fill(0);
    for (let c = 0; c < channels; c++) {
      fifo!.read(c, (f - overlap + 1) * H, frame);
      fft.forwardWindowed(frame, window, spectrum);
      addMagnitudes(spectrum, mags, bins);
    }
    if (count === capacity) {
      compact();
      if (f % stride !== 0) return;
    }
    const e = count++;
    frames[e] = f;
    bandFeature(mags, bandOf, bands, features.subarray(e * bands, (e + 1) * bands));
    let peak = 0;
    for (let k = binLo; k < binHi; k++) peak = Math.max(peak, mags[k]!);
    peaks[e] = peak;
    const q = quantised.subarray(e * width, (e + 1) * width);
    const scale = 20 / STEP_DB;
    for (let k = binLo; k < binHi; k++) {
      const m = mags[k]!;
      const level = m > 0 && peak > 0 ? Math.round(LEVELS - 1 + scale * Math.log10(m / peak)) : 0;
      q[k - binLo] = level < 0 ? 0 : level;
    }
  };

  return {
    push(block) {
      if (fifo === undefined) {
        channels = block.length;
        fifo = createSampleFifo(channels);
      }
      fifo.append(block);
      while ((next + 1) * H <= fifo.end) {
        analyse(next++);
        fifo.dropBefore((next - overlap + 1) * H);
      }
    },
    finish() {
      const total = fifo?.end ?? 0;
      if (total > 0) {
        const lastFrame = Math.ceil(total / H) + overlap - 2;
        while (next <= lastFrame) {
          analyse(next++);
          fifo!.dropBefore((next - overlap + 1) * H);
        }
      }
      const view = (e: number): Float32Array => features.subarray(e * bands, (e + 1) * bands);
      // A long song's similarity weighs the bands where a voice sits less (docs/separation-tuning.md,
      // 1.12.0): its repeated choruses, sung alike, would otherwise be chosen for the voice they share.
      // Not a song whose sounds nearly all lie in those bands (1.13.0): its leftovers outside would decide.
      const weight =
        p.repetVocalWeight !== 1 && total >= p.repetVocalWeightMinSec * sampleRate
          ? songVocalWeight(
              p.repetVocalWeight,
              outsideShareMedian(features, count, bandOf, bands, sampleRate, N),
            )
          : 1;
      const bandWeights = weight !== 1 ? vocalBandWeights(bandOf, bands, sampleRate, N, weight) : undefined;
      if (bandWeights !== undefined) for (let e = 0; e < count; e++) weighFeature(view(e), bandWeights);
      return {
        count,
        stride,
        capacity,
        bytes: frames.byteLength + features.byteLength + quantised.byteLength + peaks.byteLength,
        binLo,
        binHi,
        frame: (e) => frames[e]!,
        frames,
        features,
        feature: view,
        bandWeights,
        similarities(feature, first, step, count, out, at) {
          for (let done = 0; done < count; done += SWEEP_PART) {
            const part = Math.min(SWEEP_PART, count - done);
            sweep.dots(feature, first + done * step, step, part, out, at + done);
          }
        },
        magnitudes(e, out) {
          // Dequantising was half of REPET-SIM's time: a lookup per bin in a table scaled once per entry.
          const peak = peaks[e]!;
          for (let l = 0; l < LEVELS; l++) scaled[l] = table[l]! * peak;
          const from = e * width;
          for (let k = 0; k < width; k++) out[binLo + k] = scaled[quantised[from + k]!]!;
        },
      };
    },
  };
}
