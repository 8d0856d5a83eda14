import { describe, expect, it } from 'vitest';
import { DEFAULT_BUILTIN_PARAMS, type BuiltinParams } from './params.ts';
import { createRepetIndexer, type RepetIndex } from './repet-index.ts';
import { createTinyMix, stemDigest } from './tiny-mix.ts';

const SR = 22050;

/** `seconds` of a bass note (110 Hz) under a sung note: `voiceHz` in the first half, `otherHz` after it. */
function twoHalves(seconds: number, voiceHz: number, otherHz: number): Float32Array {
  const out = new Float32Array(Math.round(seconds * SR));
  const half = out.length / 2;
  for (let i = 0; i < out.length; i++) {
    const f = i < half ? voiceHz : otherHz;
    out[i] = 0.3 * Math.sin((2 * Math.PI * 110 * i) / SR) + 0.1 * Math.sin((2 * Math.PI * f * i) / SR);
  }
  return out;
}

function indexOf(x: Float32Array, params: Partial<BuiltinParams>): RepetIndex {
  const indexer = createRepetIndexer(SR, params);
  indexer.push([x, x]);
  return indexer.finish();
}

/** Cosine of the index's features of a frame in the first half and one in the second. */
function acrossHalves(index: RepetIndex): number {
  const a = index.feature(Math.round(index.count / 4));
  const b = index.feature(Math.round((3 * index.count) / 4));
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}

describe('REPET-SIM on a long song: the voice weighs less in which frames look alike', () => {
  it('finds two frames alike that differ only in the sung note, on a song of 28 s or more', () => {
    // The same bass under two different sung notes: with every band weighed alike the voice keeps the two
    // halves apart; with the voice's bands (250 Hz to 4 kHz) weighed by repetVocalWeight they look alike.
    expect(DEFAULT_BUILTIN_PARAMS.repetVocalWeight).toBeLessThan(1);
    const song = twoHalves(30, 440, 660);
    const weighed = indexOf(song, {});
    const plain = indexOf(song, { repetVocalWeight: 1 });
    expect(weighed.bandWeights).toBeDefined();
    expect(plain.bandWeights).toBeUndefined();
    const [w, p] = [acrossHalves(weighed), acrossHalves(plain)];
    expect(w, `weighed ${w.toFixed(3)}, plain ${p.toFixed(3)}`).toBeGreaterThan(p + 0.03);
    // A band below 250 Hz (the bass) is not weighed: two frames that differ there stay as far apart.
    const bassApart = (params: Partial<BuiltinParams>): number => {
      const x = new Float32Array(30 * SR);
      for (let i = 0; i < x.length; i++)
        x[i] = 0.3 * Math.sin((2 * Math.PI * (i < x.length / 2 ? 110 : 165) * i) / SR);
      return acrossHalves(indexOf(x, params));
    };
    expect(bassApart({})).toBeCloseTo(bassApart({ repetVocalWeight: 1 }), 5);
  });

  it('keeps the plain similarity on a long song whose every sound lies between 250 Hz and 4 kHz', () => {
    // Chords of mid-band tones only: weighing their bands down would leave the similarity to what little
    // lies outside them, and an exact repeat would no longer be found (repet-index.test.ts). The same
    // chords over a bass get the weight in full.
    const x = new Float32Array(30 * SR);
    for (let i = 0; i < x.length; i++) {
      const f = i < x.length / 2 ? 440 : 660;
      x[i] = 0.1 * Math.sin((2 * Math.PI * f * i) / SR) + 0.1 * Math.sin((2 * Math.PI * 1.5 * f * i) / SR);
    }
    expect(indexOf(x, {}).bandWeights).toBeUndefined();
    const withBass = x.map((v, i) => v + 0.2 * Math.sin((2 * Math.PI * 110 * i) / SR));
    const weights = indexOf(withBass, {}).bandWeights;
    expect(weights).toBeDefined();
    expect(Math.min(...weights!)).toBeCloseTo(DEFAULT_BUILTIN_PARAMS.repetVocalWeight, 6);
  });

  it('leaves a song shorter than repetVocalWeightMinSec (28 s) separated to the bit as before', () => {
    const short = twoHalves(20, 440, 660);
    expect(indexOf(short, {}).bandWeights).toBeUndefined();
    const mix = createTinyMix({ seconds: 20, seed: 3 });
    expect(stemDigest(mix, {})).toBe(stemDigest(mix, { repetVocalWeight: 1 }));
    // The same song counted as long is separated otherwise: the setting is in use at 28 s and over.
    expect(stemDigest(mix, { repetVocalWeightMinSec: 10 })).not.toBe(
      stemDigest(mix, { repetVocalWeight: 1 }),
    );
  });
});
