import { describe, expect, it } from 'vitest';
import type { PcmChannels, StemPcm } from '../engine.ts';
import { createBlockSeparator } from './block-separator.ts';
import { separatePcm } from './separate-pcm.ts';
import { createTinyMix } from './tiny-mix.ts';

const SR = 44100;
const STEMS = ['vocals', 'drums', 'bass', 'other'] as const;
// A short REPET window keeps the streaming path (not just flush) busy in a few seconds of audio.
const QUICK = { repetWindowSec: 1 };

function runInBlocks(mixture: PcmChannels, blockSize: number, params = QUICK): StemPcm {
  const separator = createBlockSeparator(SR, params);
  const parts: StemPcm[] = [];
  const total = mixture[0]!.length;
  for (let at = 0; at < total; at += blockSize) {
    const out = separator.push(mixture.map((ch) => ch.subarray(at, Math.min(total, at + blockSize))));
    if (out !== undefined) parts.push(out);
  }
  parts.push(separator.flush());
  const join = (name: (typeof STEMS)[number], c: number): Float32Array => {
    const out = new Float32Array(parts.reduce((n, p) => n + p[name][c]!.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p[name][c]!, at);
      at += p[name][c]!.length;
    }
    return out;
  };
  const stems = (name: (typeof STEMS)[number]): PcmChannels => mixture.map((_, c) => join(name, c));
  return { vocals: stems('vocals'), drums: stems('drums'), bass: stems('bass'), other: stems('other') };
}

/** The mid channel (L + R) / 2 of a stereo signal. */
const monoOf = (stereo: PcmChannels): Float32Array => stereo[0]!.map((v, i) => 0.5 * (v + stereo[1]![i]!));

/** Where two stem sets first differ ("" when bit-identical); vitest's toEqual is slow on long arrays. */
function firstDifference(a: StemPcm, b: StemPcm): string {
  for (const name of STEMS) {
    if (a[name].length !== b[name].length) return `${name}: channel count`;
    for (let c = 0; c < a[name].length; c++) {
      const x = a[name][c]!;
      const y = b[name][c]!;
      if (x.length !== y.length) return `${name}[${c}]: length ${x.length} vs ${y.length}`;
      for (let i = 0; i < x.length; i++) {
        if (!Object.is(x[i], y[i])) return `${name}[${c}][${i}]: ${x[i]} vs ${y[i]}`;
      }
    }
  }
  return '';
}

function maxSumError(mixture: PcmChannels, stems: StemPcm): number {
  let worst = 0;
  mixture.forEach((ch, c) => {
    for (let i = 0; i < ch.length; i++) {
      const sum = stems.vocals[c]![i]! + stems.drums[c]![i]! + stems.bass[c]![i]! + stems.other[c]![i]!;
      worst = Math.max(worst, Math.abs(sum - ch[i]!));
    }
  });
  return worst;
}

function expectShape(stems: StemPcm, channels: number, frames: number): void {
  for (const name of STEMS) {
    expect(stems[name]).toHaveLength(channels);
    for (const ch of stems[name]) {
      expect(ch).toHaveLength(frames);
      expect(ch.every((v) => Number.isFinite(v))).toBe(true);
    }
  }
}

describe('createBlockSeparator', () => {
  const mix = createTinyMix({ seconds: 4 });

  it('returns stems that sum back to the mixture sample for sample', () => {
    const stems = separatePcm(mix.mixture, SR, QUICK);
    expectShape(stems, 2, mix.mixture[0]!.length);
    expect(maxSumError(mix.mixture, stems)).toBeLessThan(1e-5);
    // And it separates: no stem is silent or the whole mixture.
    for (const name of STEMS) expect(stems[name][0]!.some((v) => Math.abs(v) > 1e-3)).toBe(true);
  });

  it('gives the same output whatever the input block sizes', () => {
    const reference = runInBlocks(mix.mixture, 1 << 20);
    for (const size of [1, 1000, 44100]) {
      const mixture = size === 1 ? mix.mixture.map((ch) => ch.subarray(0, 30000)) : mix.mixture;
      const stems = runInBlocks(mixture, size);
      expect(firstDifference(stems, size === 1 ? runInBlocks(mixture, 1 << 20) : reference)).toBe('');
    }
  });

  it('lags the input while streaming but returns exactly as much audio as it was given', () => {
    const separator = createBlockSeparator(SR);
    expect(separator.push(mix.mixture.map((ch) => ch.subarray(0, 4410)))).toBeUndefined();
    const rest = separator.push(mix.mixture.map((ch) => ch.subarray(4410)));
    const tail = separator.flush();
    const got = (rest?.vocals[0]!.length ?? 0) + tail.vocals[0]!.length;
    expect(got).toBe(mix.mixture[0]!.length);
    expect(separator.latencyFrames).toBeGreaterThan(0);
  });

  it('turns silence into silent stems without NaN', () => {
    const silence = [new Float32Array(3 * SR), new Float32Array(3 * SR)];
    const stems = separatePcm(silence, SR);
    expectShape(stems, 2, 3 * SR);
    for (const name of STEMS) for (const ch of stems[name]) expect(ch.every((v) => v === 0)).toBe(true);
  });

  it('keeps a mono source (identical channels) identical in every stem', () => {
    const mono = monoOf(mix.mixture);
    const input = [mono, mono.slice()];
    const stems = separatePcm(input, SR, { ...QUICK, centreExponent: 1, centreFloor: 0.5 });
    expectShape(stems, 2, mono.length);
    const swapped = Object.fromEntries(STEMS.map((n) => [n, [stems[n][1]!, stems[n][0]!]])) as StemPcm;
    expect(firstDifference(stems, swapped)).toBe('');
    expect(maxSumError(input, stems)).toBeLessThan(1e-5);
    expect(stems.vocals[0]!.some((v) => Math.abs(v) > 1e-3)).toBe(true);
  });

  it('handles input shorter than one FFT frame, and none at all', () => {
    for (const frames of [0, 1, 100, 4095]) {
      const input = mix.mixture.map((ch) => ch.slice(0, frames));
      const stems = separatePcm(input, SR);
      expectShape(stems, 2, frames);
      expect(maxSumError(input, stems)).toBeLessThan(1e-5);
    }
    const empty = createBlockSeparator(SR).flush();
    expectShape(empty, 2, 0);
  });

  it('separates 8 seconds with the default parameters', () => {
    const eight = createTinyMix({ seconds: 8, seed: 4 });
    const stems = separatePcm(eight.mixture, SR);
    expectShape(stems, 2, 8 * SR);
    expect(maxSumError(eight.mixture, stems)).toBeLessThan(1e-5);
  });

  it('keeps non-finite input samples from spreading into the other stems', () => {
    const input = mix.mixture.map((ch) => ch.slice(0, 2 * SR));
    input[0]![5000] = Number.NaN;
    input[1]![9000] = Number.POSITIVE_INFINITY;
    const stems = separatePcm(input, SR, QUICK);
    for (const name of ['vocals', 'drums', 'bass'] as const) {
      for (const ch of stems[name]) expect(ch.every((v) => Number.isFinite(v))).toBe(true);
    }
    expect(stems.other[1]!.filter((v) => !Number.isFinite(v))).toHaveLength(1);
  });

  it('keeps its guarantees with the stereo Wiener post-filter on and off', () => {
    for (const spatialWienerSec of [0, 10]) {
      const params = { ...QUICK, spatialWienerSec };
      // Stems sum back to the mixture, whatever the block sizes.
      const whole = runInBlocks(mix.mixture, 1 << 20, params);
      expect(maxSumError(mix.mixture, whole)).toBeLessThan(1e-5);
      expect(firstDifference(runInBlocks(mix.mixture, 1000, params), whole)).toBe('');
      // A mono source stays identical in both channels.
      const mono = monoOf(mix.mixture);
      const stems = separatePcm([mono, mono.slice()], SR, params);
      const swapped = Object.fromEntries(STEMS.map((n) => [n, [stems[n][1]!, stems[n][0]!]])) as StemPcm;
      expect(firstDifference(stems, swapped)).toBe('');
    }
    // On, it changes the vocals of a stereo mix (and only through the filter: off is the plain mask).
    const on = separatePcm(mix.mixture, SR, { ...QUICK, spatialWienerSec: 10 });
    const off = separatePcm(mix.mixture, SR, { ...QUICK, spatialWienerSec: 0 });
    expect(firstDifference(on, off)).toMatch(/^vocals/);
  });

  it('rejects bad parameters and inconsistent blocks with clear errors', () => {
    expect(() => createBlockSeparator(SR, { fftSize: 1000 })).toThrow(/hop|fftSize|not supported/);
    expect(() => createBlockSeparator(SR, { harmonicMedian: 4 })).toThrow(/harmonicMedian must be an odd/);
    expect(() => createBlockSeparator(SR, { hop: 3000 })).toThrow(/hop must divide/);
    expect(() => createBlockSeparator(SR, { repetMinChoices: -1 })).toThrow(/repetMinChoices must be >= 0/);
    expect(() => createBlockSeparator(100)).toThrow(/sample rate/);
    const separator = createBlockSeparator(SR);
    separator.push([new Float32Array(10), new Float32Array(10)]);
    expect(() => separator.push([new Float32Array(10)])).toThrow(/channels/);
    expect(() => separator.push([new Float32Array(10), new Float32Array(9)])).toThrow(/differ in length/);
    separator.flush();
    expect(() => separator.push([new Float32Array(10), new Float32Array(10)])).toThrow(/after flush/);
  });
});
