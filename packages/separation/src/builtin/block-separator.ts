import { ImkError } from '@imk/errors';
import type { PcmChannels, StemPcm } from '../engine.ts';
import { createRealFft } from '../dsp/fft.ts';
import { hannWindow, overlapAddGain } from '../dsp/stft-window.ts';
import { createFrameRing } from './frame-ring.ts';
import { createHpssPass } from './hpss.ts';
import { resolveBuiltinParams, type BuiltinParams } from './params.ts';
import type { RepetIndex } from './repet-index.ts';
import { createRepetSim } from './repet-sim.ts';
import { createSampleFifo, type SampleFifo } from './sample-fifo.ts';
import { azimuthCue, stereoPosition } from './azimuth.ts';
import { addMagnitudes, bandWeights, lowPassWeights } from './spectrum.ts';
import { createSpatialWiener, type SpatialWiener } from './spatial-wiener.ts';
import { createStemOutput } from './stem-output.ts';
import {
  FUSION_WEIGHTS,
  SHORT_SONG_FUSION_WEIGHTS,
  createVocalFusion,
  hasStereoImage,
  needsStereoImage,
  type FusionWeights,
  type StereoCues,
} from './vocal-fusion.ts';
import { computeVocalMask, splitRest, type FrameCues, type StemMasks } from './stem-masks.ts';
import '../errors.ts';

export interface BlockSeparator {
  /**
   * Feeds the next block (planar float32, any length, same channel count every time). Returns the stem
   * audio finished so far, or undefined when none is: output lags the input by `latencyFrames`.
   */
  push(block: PcmChannels): StemPcm | undefined;
  /** Ends the input and returns the rest: in total the stems are exactly as long as the input. */
  flush(): StemPcm;
  /** How many sample frames the output lags behind the input while streaming. */
  readonly latencyFrames: number;
}

/**
 * The builtin engine's streaming core. Works frame by frame on an STFT with a bounded lookahead (the
 * REPET-SIM window); every per-frame quantity lives in fixed-size rings, so memory does not grow with the
 * length of the song, and the output does not depend on how the input is cut into blocks. The STFT's
 * windowed overlap-add is the crossfade between successive pieces of output.
 *
 * Pipeline per frame f: analyse f (spectrum, magnitudes, similarities); first HPSS pass for f − h1;
 * second pass for f − h1 − h2 (when used); masks and synthesis for f − D. Vocals, drums and bass are
 * resynthesised from their masks; "other" is the mixture minus those three, so the stems sum back to the
 * input to float precision.
 */
export interface BlockSeparatorOptions {
  /** Whole-song REPET-SIM index from a first pass over the same input (createRepetIndexer). */
  index?: RepetIndex | undefined;
  /** The soft vocal fusion with these weights instead of FUSION_WEIGHTS (fitting and tuning only). */
  fusionWeights?: FusionWeights | undefined;
  /**
   * Called for every synthesised frame with the fusion's features of bins [binLo, binHi)
   * (FUSION_FEATURE_COUNT per bin) and the frame's magnitudes: bench/fit-fusion.ts fits the weights on them.
   */
  observe?: FusionObserver | undefined;
}

export type FusionObserver = (
  frame: number,
  features: Float32Array,
  magnitudes: Float32Array,
  binLo: number,
  binHi: number,
) => void;

export function createBlockSeparator(
  sampleRate: number,
  overrides: Partial<BuiltinParams> = {},
  options: BlockSeparatorOptions = {},
): BlockSeparator {
  if (!Number.isFinite(sampleRate) || sampleRate < 8000) {
    throw new ImkError(
      'INVALID_PARAMS',
      `sample rate ${sampleRate} Hz is not supported: use 8000 Hz or more`,
    );
  }
  const p = resolveBuiltinParams(overrides);
  const N = p.fftSize;
  const H = p.hop;
  const overlap = N / H;
  const bins = N / 2 + 1;
  const binHz = sampleRate / N;
  const fft = createRealFft(N);
  const window = hannWindow(N);
  const gain = overlapAddGain(window, H);
  // The inverse FFT's 1/N is folded into the synthesis window.
  const synthesisWindow = window.map((w) => w / N);

  const repetWindow = Math.round((p.repetWindowSec * sampleRate) / H);
  const hpss1 = createHpssPass({
    bins,
    harmonicMedian: p.harmonicMedian,
    percussiveMedian: p.percussiveMedian,
    power: p.maskPower,
  });
  const useSecond = p.vocalHarmonicExponent > 0;
  const hpss2 = useSecond
    ? createHpssPass({
        bins,
        harmonicMedian: p.secondHarmonicMedian,
        percussiveMedian: p.secondPercussiveMedian,
        power: p.maskPower,
      })
    : undefined;
  const h1 = hpss1.half;
  const h2 = hpss2?.half ?? 0;
  const lookahead = Math.max(repetWindow, h1 + h2);
  // Oldest frame any stage still reads, counted back from the newest analysed one.
  const reach = Math.max(2 * h1 + 1, lookahead + repetWindow, h1 + 2 * h2 + 1);
  const ringSize = reach + 2;
  const spectrumSlots = lookahead + 1;

  const magnitudes = createFrameRing(ringSize, bins);
  const harmonic = createFrameRing(ringSize, bins);
  const residual = useSecond ? createFrameRing(ringSize, bins) : undefined;
  const secondHarmonic = useSecond ? createFrameRing(ringSize, bins) : undefined;
  const spacingSec = repetSpacingSec(p, options.index, H / sampleRate);
  // A song so short that the spacing shrinks (under 10.5 s) is separated without the fitted background and
  // with the fusion weights fitted for such songs (docs/separation-tuning.md).
  const shortSong = spacingSec < p.repetMinSpacingSec;
  const repet = createRepetSim({
    bins,
    sampleRate,
    fftSize: N,
    window: repetWindow,
    neighbours: p.repetNeighbours,
    spacing: Math.max(1, Math.round((spacingSec * sampleRate) / H)),
    minSimilarity: p.repetMinSimilarity,
    bands: p.repetBands,
    maxHz: p.repetMaxHz,
    ringSize,
    index: options.index,
    globalCandidates: p.repetGlobalCandidates,
    globalCandidatesMax: p.repetGlobalCandidatesMax,
    globalStep: (p.repetGlobalStepSec * sampleRate) / H,
    exactMedianRows: p.repetExactMedianRows,
    // Not on a song so short that the spacing shrinks: its chosen frames lie close to this one and share
    // its voice note, which a combination of them would rebuild (docs/separation-tuning.md).
    fit: shortSong
      ? undefined
      : {
          blend: p.repetFit,
          cap: p.repetFitCap,
          foreground: p.repetFitForeground,
          candidates: p.repetFitCandidates,
          sweeps: p.repetFitSweeps,
        },
  });

  const vocalBand = bandWeights(bins, binHz, p.vocalLowCutHz, p.vocalLowRampHz, p.vocalHighCutHz);
  const bassBand = lowPassWeights(bins, binHz, p.bassCutoffHz, p.bassRampHz);
  let binLo = 0;
  while (binLo < bins && vocalBand[binLo] === 0) binLo++;
  let binHi = bins;
  while (binHi > binLo && vocalBand[binHi - 1] === 0) binHi--;

  const fusionWeights =
    p.vocalFusion > 0
      ? (options.fusionWeights ?? (shortSong ? SHORT_SONG_FUSION_WEIGHTS : FUSION_WEIGHTS))
      : undefined;
  const fusion =
    fusionWeights !== undefined || options.observe !== undefined
      ? createVocalFusion({ binLo, binHi, binHz, near: p.vocalMaskSmoothBins }, bins)
      : undefined;
  // Where each bin sits in the stereo field is worked out for the fusion only when its weights read it
  // (1.7.0's do not: the Wiener post-filter places the voice) or a fit observes the features.
  const fusionReadsStereo =
    options.observe !== undefined || (fusionWeights !== undefined && needsStereoImage(fusionWeights));
  const productMask = new Float32Array(p.vocalFusion > 0 && p.vocalFusion < 1 ? bins : 0);

  const frame = new Float32Array(N);
  const background = new Float32Array(bins);
  const centre = new Float32Array(bins);
  const pan = new Float32Array(bins);
  const coherence = new Float32Array(bins);
  const stereoCues: StereoCues = { pan, coherence, centre };
  const maskScratch = new Float32Array(bins);
  const masks: StemMasks = {
    vocals: new Float32Array(bins),
    drums: new Float32Array(bins),
    bass: new Float32Array(bins),
  };

  // Wiener post-filter (stereo only): the vocals' spectra per channel, and the accompaniment's.
  let wiener: SpatialWiener | undefined;
  let vocalSpectra: Float32Array[] = [];
  let restSpectra: Float32Array[] = [];
  const ones = new Float32Array(bins).fill(1);

  let channels = 0;
  let fifo: SampleFifo | undefined;
  let spectra: Float32Array[][] = [];
  let output: ReturnType<typeof createStemOutput> | undefined;
  let nextStep = 0; // next frame index to run step() for
  let lastFrame = Infinity; // last frame that overlaps the input; known at flush
  let totalFrames = Infinity; // input length in samples; known at flush
  let finished = false;

  const clamp = (i: number): number => Math.min(Math.max(i, 0), lastFrame);
  const magnitudeRow = (i: number): Float32Array => magnitudes.row(clamp(i));
  const residualRow = (i: number): Float32Array => residual!.row(clamp(i));

  // Windowed spectrum of frame f for every channel, kept until frame f is synthesised (lookahead + 1
  // frames); frame f covers samples [(f − overlap + 1)·H, (f + 1)·H).
  const analyse = (f: number): void => {
    const from = (f - overlap + 1) * H;
    const slot = f % spectrumSlots;
    for (let c = 0; c < channels; c++) {
      fifo!.read(c, from, frame);
      fft.forwardWindowed(frame, window, spectra[slot]![c]!);
    }
  };

  const ingest = (f: number): void => {
    analyse(f);
    const row = magnitudes.row(f);
    row.fill(0);
    const spectrum = spectra[f % spectrumSlots]!;
    for (let c = 0; c < channels; c++) addMagnitudes(spectrum[c]!, row, bins);
    repet.ingest(f, row);
  };

  const firstPass = (a: number): void => {
    const mask = harmonic.row(a);
    hpss1.run(a, magnitudeRow, mask);
    if (residual !== undefined) {
      const mags = magnitudes.row(a);
      const res = residual.row(a);
      for (let k = 0; k < bins; k++) res[k] = mags[k]! * (1 - mask[k]!);
    }
  };

  const synthesise = (c: number): void => {
    const spectrum = spectra[c % spectrumSlots]!;
    repet.background(c, Math.min(lastFrame, c + repetWindow), magnitudeRow, binLo, binHi, background);
    // centreFloor 1 keeps every vocal estimate whatever the cue says: the product of powers then needs no
    // centre cue, and the stereo position is computed only when the fusion reads it.
    const centreCue = p.centreExponent > 0 && p.centreFloor < 1 && channels === 2;
    const useCentre = centreCue || (fusionReadsStereo && channels === 2);
    const mags = magnitudes.row(c);
    if (useCentre) {
      stereoPosition(spectrum[0]!, spectrum[1]!, pan, coherence, bins);
      azimuthCue(pan, coherence, 0, p.azimuthWidth, centre, bins);
    }
    const cues: FrameCues = {
      magnitudes: mags,
      harmonic: harmonic.row(c),
      background,
      centre: centreCue ? centre : undefined,
      secondHarmonic: secondHarmonic?.row(c),
    };
    const out = output!;
    if (fusion !== undefined) {
      // Mono input, or a frame whose channels are the same (a mono song made stereo): no stereo cues, and
      // the weights fitted without them.
      const stereo = useCentre && hasStereoImage(pan, coherence, binLo, binHi) ? stereoCues : undefined;
      fusion.compute(cues, stereo);
      options.observe?.(c, fusion.features, mags, binLo, binHi);
      if (fusionWeights !== undefined) {
        const m = masks.vocals;
        fusion.mask(stereo ? fusionWeights.stereo : fusionWeights.mono, vocalBand, m);
        if (productMask.length > 0) {
          // A blend of the two masks: vocalFusion · fusion + (1 − vocalFusion) · product of powers.
          computeVocalMask(cues, vocalBand, p, productMask, bins, maskScratch);
          const b = p.vocalFusion;
          for (let k = binLo; k < binHi; k++) m[k] = b * m[k]! + (1 - b) * productMask[k]!;
        }
      }
    }
    if (fusionWeights === undefined) computeVocalMask(cues, vocalBand, p, masks.vocals, bins, maskScratch);
    if (wiener !== undefined) {
      // Vocals = W·x; drums and bass are shares of what is left, x − vocals.
      splitRest(cues.harmonic, bassBand, undefined, masks, bins);
      wiener.apply(
        spectrum[0]!,
        spectrum[1]!,
        masks.vocals,
        binLo,
        binHi,
        vocalSpectra[0]!,
        vocalSpectra[1]!,
      );
      for (let c = 0; c < channels; c++) {
        const x = spectrum[c]!;
        const v = vocalSpectra[c]!;
        const rest = restSpectra[c]!;
        for (let i = 0; i < N; i++) rest[i] = x[i]! - v[i]!;
        fft.inverseMaskedAdd(v, ones, synthesisWindow, out.accumulator(0, c));
        fft.inverseMaskedAdd(rest, masks.drums, synthesisWindow, out.accumulator(1, c));
        fft.inverseMaskedAdd(rest, masks.bass, synthesisWindow, out.accumulator(2, c));
      }
    } else {
      splitRest(cues.harmonic, bassBand, masks.vocals, masks, bins);
      const stems = [masks.vocals, masks.drums, masks.bass] as const;
      for (let s = 0; s < stems.length; s++) {
        for (let c = 0; c < channels; c++) {
          fft.inverseMaskedAdd(spectrum[c]!, stems[s]!, synthesisWindow, out.accumulator(s, c));
        }
      }
    }
    const block = c - overlap + 1;
    if (block >= 0) {
      const length = Math.min(H, totalFrames - block * H);
      out.emitBlock(fifo!, block * H, length, gain);
    }
    out.advance();
    fifo!.dropBefore((block + 1) * H);
  };

  const step = (f: number): void => {
    if (f <= lastFrame) ingest(f);
    const a = f - h1;
    if (a >= 0 && a <= lastFrame) firstPass(a);
    const b = a - h2;
    if (hpss2 !== undefined && b >= 0 && b <= lastFrame) hpss2.run(b, residualRow, secondHarmonic!.row(b));
    const c = f - lookahead;
    if (c >= 0 && c <= lastFrame) synthesise(c);
  };

  const start = (count: number): void => {
    if (count < 1) throw new ImkError('INVALID_INPUT', 'a block of audio needs at least one channel');
    channels = count;
    fifo = createSampleFifo(count);
    spectra = Array.from({ length: spectrumSlots }, () =>
      Array.from({ length: count }, () => new Float32Array(N)),
    );
    output = createStemOutput(count, N, H);
    if (count === 2 && p.spatialWienerSec > 0) {
      const frameRate = sampleRate / H;
      wiener = createSpatialWiener({
        bins,
        frameRate,
        seconds: p.spatialWienerSec,
        power: p.spatialWienerPower,
        priorFrames: p.spatialWienerPriorSec * frameRate,
      });
      vocalSpectra = [new Float32Array(N), new Float32Array(N)];
      restSpectra = [new Float32Array(N), new Float32Array(N)];
    }
  };

  return {
    latencyFrames: (lookahead + overlap) * H,
    push(block) {
      if (finished) throw new ImkError('SEPARATOR_FINISHED', 'push() after flush(): create a new separator');
      if (channels === 0) start(block.length);
      checkBlock(block, channels);
      fifo!.append(block);
      while ((nextStep + 1) * H <= fifo!.end) step(nextStep++);
      return output!.take();
    },
    flush() {
      if (finished) throw new ImkError('SEPARATOR_FINISHED', 'flush() called twice: create a new separator');
      finished = true;
      if (channels === 0) start(2);
      totalFrames = fifo!.end;
      if (totalFrames === 0) return output!.take() ?? output!.empty();
      lastFrame = Math.ceil(totalFrames / H) + overlap - 2;
      while (nextStep <= lastFrame + lookahead) step(nextStep++);
      return output!.take() ?? output!.empty();
    },
  };
}

function checkBlock(block: PcmChannels, channels: number): void {
  if (block.length !== channels) {
    throw new ImkError('INVALID_INPUT', `block has ${block.length} channels, earlier blocks had ${channels}`);
  }
  const n = block[0]!.length;
  for (const ch of block) {
    if (ch.length !== n) throw new ImkError('INVALID_INPUT', 'the channels of a block differ in length');
  }
}

/**
 * The REPET-SIM spacing in seconds: `repetMinSpacingSec`, shrunk on a song too short to offer
 * `repetMinChoices` frames that far apart. The song's length is known from the whole-song index (its last
 * entry is the song's last frame); without an index (streaming with the window alone) it is not, and the
 * spacing is kept.
 */
function repetSpacingSec(p: BuiltinParams, index: RepetIndex | undefined, frameSec: number): number {
  if (p.repetMinChoices === 0 || index === undefined || index.count === 0) return p.repetMinSpacingSec;
  const songSec = (index.frame(index.count - 1) + 1) * frameSec;
  return Math.min(p.repetMinSpacingSec, songSec / p.repetMinChoices);
}
