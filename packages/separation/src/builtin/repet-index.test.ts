import { describe, expect, it } from 'vitest';
import { sdr } from '../dsp/sdr.ts';
import { createRepetIndexer } from './repet-index.ts';
import type { BuiltinParams } from './params.ts';
import { separatePcm } from './separate-pcm.ts';
import { createTinyMix, stemDigest } from './tiny-mix.ts';
import { EARLIER_FUSION_WEIGHTS } from './vocal-fusion.ts';

const SR = 22050;

/** Random chords (3 tones) changing every 0.25 s: frames of different chord runs are dissimilar. */
function chords(seconds: number, seed: number): Float32Array {
  let s = seed;
  const rand = (): number => (s = (s * 16807) % 2147483647) / 2147483647;
  const out = new Float32Array(Math.round(seconds * SR));
  const step = Math.round(SR / 4);
  for (let at = 0; at < out.length; at += step) {
    const freqs = [0, 1, 2].map(() => 250 * 2 ** (rand() * 4));
    for (let i = at; i < Math.min(out.length, at + step); i++) {
      let v = 0;
      for (const f of freqs) v += Math.sin((2 * Math.PI * f * i) / SR);
      out[i] = 0.1 * v;
    }
  }
  return out;
}

describe('whole-song REPET-SIM index', () => {
  it('finds a passage that recurs 30 s later, which a ±6 s window cannot', () => {
    // A 3-s passage at 1 s recurs at 31 s with a quiet voice over it; everything else never repeats. With
    // three neighbours, the background of a frame at 31–34 s is right only if its copy is among them.
    const passage = chords(3, 7);
    const accompaniment = chords(36, 99);
    accompaniment.set(passage, 1 * SR);
    accompaniment.set(passage, 31 * SR);
    const voice = new Float32Array(accompaniment.length);
    for (let i = 31 * SR; i < 34 * SR; i++) {
      const t = i / SR;
      voice[i] = 0.05 * Math.sin(2 * Math.PI * (440 + 30 * Math.sin(2 * Math.PI * 5 * t)) * t);
    }
    const mixture = [accompaniment.map((v, i) => v + voice[i]!)];
    const region = (x: Float32Array): Float32Array[] => [x.subarray(31 * SR, 34 * SR)];
    const score = (
      repetIndexMaxSec: number,
      repetGlobalCandidates = 1024,
      vocalFusion?: number,
      repetGlobalStepSec = 0, // 0: exactly that many candidates, whatever the length
    ): number => {
      const est = separatePcm(mixture, SR, {
        repetWindowSec: 6,
        repetNeighbours: 3,
        repetIndexMaxSec,
        repetGlobalCandidates, // 1024: every frame of this 36-s song
        repetGlobalStepSec,
        centreExponent: 0,
        vocalFusion,
      });
      return sdr(region(voice), region(est.vocals[0]!), SR);
    };
    const windowOnly = score(0);
    const wholeSong = score(600);
    expect(
      wholeSong,
      `whole song ${wholeSong.toFixed(2)} dB, window ${windowOnly.toFixed(2)} dB`,
    ).toBeGreaterThan(windowOnly + 6);
    // Thinned to 256 candidates per frame (the default: every 3rd frame here), the copy is still found.
    expect(score(600, 256)).toBeGreaterThan(windowOnly + 6);
    // Thinned to 8 candidates (one every 3 s) the copy is missed; asking for candidates at most 4 frames
    // (0.19 s here) apart gives this song more of them, and the copy is found again.
    const sparse = score(600, 8);
    const stepped = score(600, 8, undefined, (4 * 1024) / SR);
    expect(
      stepped,
      `8 candidates ${sparse.toFixed(2)} dB, 4 frames apart ${stepped.toFixed(2)} dB`,
    ).toBeGreaterThan(sparse + 3);
    // With the vocal mask read from the REPET foreground alone (no fusion), the voice comes out clean.
    const foregroundOnly = score(600, 1024, 0);
    expect(foregroundOnly).toBeGreaterThan(score(0, 1024, 0) + 6);
    expect(foregroundOnly).toBeGreaterThan(2);
  });

  it('keeps its memory bounded by its capacity: a long song keeps every 2nd, 4th… frame', () => {
    const indexer = (seconds: number) => {
      const ix = createRepetIndexer(SR, { repetIndexMaxSec: 4 });
      const block = chords(1, 3);
      for (let t = 0; t < seconds; t++) ix.push([block, block]);
      return ix.finish();
    };
    const short = indexer(3);
    const long = indexer(60);
    expect(short.stride).toBe(1);
    expect(long.bytes).toBe(short.bytes);
    expect(long.count).toBeLessThanOrEqual(long.capacity);
    expect(long.stride).toBeGreaterThanOrEqual(16);
    // Still spread over the whole song.
    const hop = 1024;
    expect(long.frame(long.count - 1) * hop).toBeGreaterThan(55 * SR);
    expect(long.frame(1) - long.frame(0)).toBe(long.stride);
  });

  it("gives REPET-SIM the index's own rows, however few it keeps between frames", () => {
    // The separator keeps the dequantised rows of the entries neighbouring frames choose (4 per neighbour).
    // With 3 neighbours and a ±1 s window most candidates come from the index and the 12 rows are replaced
    // all the time: the stems are 1.8.0's (with 1.8.0's fusion weights, which dequantised every entry each time it was chosen), to the bit.
    const mix = createTinyMix({ seconds: 20, seed: 2 });
    const digest = (params: Partial<BuiltinParams>): string =>
      stemDigest(
        mix,
        { repetFit: 0, repetWindowSec: 1, ...params },
        { fusionWeights: EARLIER_FUSION_WEIGHTS },
      );
    expect(digest({ repetNeighbours: 3 })).toBe(
      'ace383446392a7a9e0cf90c17699bd101c015c60282ff29f54a3e4b94ba26367',
    );
    expect(digest({})).toBe('822e0331cf7784ba31e0cf0b008c7b86c064dcfa3d83fe36d6e463c8b7344d27');
  });
});
