import { describe, expect, it } from 'vitest';
import { separatePcm } from './separate-pcm.ts';
import type { FrameCues } from './stem-masks.ts';
import { createTinyMix, stemDigest } from './tiny-mix.ts';
import {
  FUSION_FEATURE_COUNT,
  FUSION_FEATURES,
  EARLIER_FUSION_WEIGHTS,
  FUSION_WEIGHTS,
  SHORT_SONG_FUSION_WEIGHTS,
  STEREO_FEATURES,
  createVocalFusion,
  hasStereoImage,
  needsStereoImage,
  type FusionShape,
} from './vocal-fusion.ts';

const BINS = 64;
const shape: FusionShape = { binLo: 8, binHi: 56, binHz: 50, near: 1 };

/** The vocal mask the fitted weights give a frame whose bins repeat by `repeating` (0..1) of their magnitude. */
function maskFor(repeating: number, stereo: boolean): Float32Array {
  const magnitudes = new Float32Array(BINS).fill(1);
  const cues: FrameCues = {
    magnitudes,
    harmonic: new Float32Array(BINS).fill(0.8),
    background: new Float32Array(BINS).fill(repeating),
    centre: undefined,
    secondHarmonic: undefined,
  };
  const centred = {
    pan: new Float32Array(BINS).fill(0.01),
    coherence: new Float32Array(BINS).fill(0.99),
    centre: new Float32Array(BINS).fill(0.99),
  };
  const fusion = createVocalFusion(shape, BINS);
  fusion.compute(cues, stereo ? centred : undefined);
  expect(fusion.features).toHaveLength(FUSION_FEATURE_COUNT * (shape.binHi - shape.binLo));
  const out = new Float32Array(BINS).fill(-1);
  fusion.mask(stereo ? FUSION_WEIGHTS.stereo : FUSION_WEIGHTS.mono, new Float32Array(BINS).fill(1), out);
  return out;
}

describe('the soft vocal fusion', () => {
  it('has one fitted weight per feature, for stereo and for mono frames', () => {
    for (const set of [FUSION_WEIGHTS, SHORT_SONG_FUSION_WEIGHTS, EARLIER_FUSION_WEIGHTS]) {
      for (const weights of [set.stereo, set.mono]) {
        expect(weights).toHaveLength(FUSION_FEATURES.length);
        expect(weights.every((w) => Number.isFinite(w))).toBe(true);
        expect(weights.some((w) => w !== 0)).toBe(true);
      }
      // Mono frames have no stereo image: their weights ignore the stereo features.
      for (const name of STEREO_FEATURES) {
        expect(set.mono[FUSION_FEATURES.indexOf(name)]).toBe(0);
      }
    }
  });

  it('needs the stereo image only when the weights read it, and separates a stereo song the same either way', () => {
    const reads = [...FUSION_WEIGHTS.mono];
    reads[FUSION_FEATURES.indexOf('absPan')] = -1;
    expect(needsStereoImage({ stereo: reads, mono: FUSION_WEIGHTS.mono })).toBe(true);
    const other = FUSION_WEIGHTS.mono.map((w, i) => (i === 0 ? w - 1 : w));
    expect(needsStereoImage({ stereo: other, mono: FUSION_WEIGHTS.mono })).toBe(true);
    expect(needsStereoImage({ stereo: FUSION_WEIGHTS.mono, mono: FUSION_WEIGHTS.mono })).toBe(false);
    // 1.7.0's weights place nothing by the stereo image (the Wiener post-filter does): a stereo song
    // separates bit for bit as it does when every frame's stereo image is worked out (as a fit does).
    const mix = createTinyMix({ seconds: 6, seed: 5 });
    const plain = separatePcm(mix.mixture, mix.sampleRate);
    let observed = 0;
    const full = separatePcm(mix.mixture, mix.sampleRate, {}, { observe: () => void observed++ });
    expect(observed).toBeGreaterThan(0);
    for (const stem of ['vocals', 'drums', 'bass', 'other'] as const) {
      for (let ch = 0; ch < 2; ch++) {
        const a = full[stem][ch]!;
        const b = plain[stem][ch]!;
        expect(a.length).toBe(b.length);
        expect(
          a.findIndex((x, i) => x !== b[i]),
          `${stem} channel ${ch}`,
        ).toBe(-1);
      }
    }
  });

  it('calls a bin that repeats all through the song accompaniment, and gives more voice the less it repeats', () => {
    for (const stereo of [true, false]) {
      const masks = [1, 0.75, 0.5, 0.25, 0].map((repeating) => maskFor(repeating, stereo));
      for (let k = 0; k < BINS; k++) {
        if (k < shape.binLo || k >= shape.binHi) {
          for (const mask of masks) expect(mask[k]).toBe(0);
          continue;
        }
        expect(masks[0]![k]).toBeLessThan(0.01);
        for (let i = 1; i < masks.length; i++) expect(masks[i]![k]).toBeGreaterThan(masks[i - 1]![k]!);
        expect(masks[masks.length - 1]![k]).toBeGreaterThan(20 * masks[0]![k]!);
        expect(masks[masks.length - 1]![k]).toBeLessThanOrEqual(1);
      }
    }
  });

  it('sees a stereo image only where the two channels differ', () => {
    const pan = new Float32Array(BINS);
    const coherence = new Float32Array(BINS).fill(1);
    expect(hasStereoImage(pan, coherence, shape.binLo, shape.binHi)).toBe(false);
    pan[3] = 0.5; // outside the band
    expect(hasStereoImage(pan, coherence, shape.binLo, shape.binHi)).toBe(false);
    coherence[20] = 0.9;
    expect(hasStereoImage(pan, coherence, shape.binLo, shape.binHi)).toBe(true);
  });

  it('separates a mono song copied to both channels as it separates the mono song', () => {
    const mix = createTinyMix({ seconds: 6, seed: 3 });
    const mono = mix.mixture[0]!.map((l, i) => (l + mix.mixture[1]![i]!) / 2);
    const one = separatePcm([mono], mix.sampleRate);
    const two = separatePcm([mono, mono.slice()], mix.sampleRate);
    for (const stem of ['vocals', 'drums', 'bass', 'other'] as const) {
      let signal = 0;
      let error = 0;
      const reference = one[stem][0]!;
      for (const channel of two[stem]) {
        for (let i = 0; i < reference.length; i++) {
          signal += reference[i]! ** 2;
          error += (channel[i]! - reference[i]!) ** 2;
        }
      }
      // Within −40 dB: the same masks, and a Wiener post-filter that has nothing to place.
      expect(10 * Math.log10(error / signal), stem).toBeLessThan(-40);
    }
  });

  it("weighs a song of 10.5 s or more with FUSION_WEIGHTS and a shorter one with its own (REPET-SIM's spacing shrinks there)", () => {
    // 12 s: the spacing is not shrunk, and the stems are those of FUSION_WEIGHTS given by name.
    const long = createTinyMix({ seconds: 12, seed: 2 });
    expect(stemDigest(long)).toBe(stemDigest(long, {}, { fusionWeights: FUSION_WEIGHTS }));
    expect(stemDigest(long)).not.toBe(stemDigest(long, {}, { fusionWeights: SHORT_SONG_FUSION_WEIGHTS }));
    const short = createTinyMix({ seconds: 7, seed: 2 });
    expect(stemDigest(short)).toBe(stemDigest(short, {}, { fusionWeights: SHORT_SONG_FUSION_WEIGHTS }));
    expect(stemDigest(short)).not.toBe(stemDigest(short, {}, { fusionWeights: FUSION_WEIGHTS }));
  });
});
