import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWavFile } from '@imk/media';
import { STEM_NAMES } from '@imk/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrng } from '../src/corpus/prng.ts';
import { ensureGmCorpus } from '../src/gm-corpus/corpus.ts';
import { drumPart } from '../src/gm-corpus/drums.ts';
import { harmonyParts } from '../src/gm-corpus/harmony.ts';
import { GM_STYLES, planSong } from '../src/gm-corpus/plan.ts';
import { GM_SONGS, type GmSongSpec } from '../src/gm-corpus/songs.ts';
import { vocalPart } from '../src/gm-corpus/vocals.ts';

/** The split recorded before any tuning (issue 15): changing GM_SONGS or GM_SPLIT_SEED must be deliberate. */
const TUNE_SONGS = [
  'gm-rock-3',
  'gm-rock-4',
  'gm-pop-3',
  'gm-pop-4',
  'gm-ballad-2',
  'gm-ballad-3',
  'gm-electronic-2',
  'gm-electronic-5',
  'gm-jazz-1',
  'gm-jazz-2',
];

describe('General MIDI corpus', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imk-gm-corpus-test-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('has at least 24 songs in five styles, split into tune and test by song, every style in both', () => {
    expect(GM_SONGS.length).toBeGreaterThanOrEqual(24);
    expect(new Set(GM_SONGS.map((s) => s.id)).size).toBe(GM_SONGS.length);
    for (const style of GM_STYLES) {
      const songs = GM_SONGS.filter((s) => s.style === style);
      expect(songs.some((s) => s.split === 'tune') && songs.some((s) => s.split === 'test')).toBe(true);
    }
    expect(GM_SONGS.filter((s) => s.split === 'tune').map((s) => s.id)).toEqual(TUNE_SONGS);
  });

  it('writes real parts: GM drum kits, bass, guitars/pianos/strings/pads, and a sampled voice that glides', () => {
    const programs = new Set<number>();
    const kits = new Set<number>();
    for (const spec of GM_SONGS) {
      const plan = planSong(spec.style, createPrng(spec.seed * 8 + 1), spec.seconds);
      kits.add(drumPart(plan, createPrng(spec.seed * 8 + 2)).kit);
      harmonyParts(plan, createPrng(spec.seed * 8 + 3)).programs.other.forEach((p) => programs.add(p));
      const voice = vocalPart(plan, createPrng(spec.seed * 8 + 4));
      expect([52, 53]).toContain(voice.program);
      const bends = voice.part.events.filter((e) => (e.bytes[0]! & 0xf0) === 0xe0);
      const notes = voice.part.events.filter((e) => (e.bytes[0]! & 0xf0) === 0x90);
      expect(notes.length).toBeGreaterThan(10);
      expect(bends.length).toBeGreaterThan(notes.length);
    }
    expect(kits.size).toBeGreaterThanOrEqual(4);
    const has = (range: [number, number]) => [...programs].some((p) => p >= range[0] && p <= range[1]);
    for (const family of [
      [0, 7],
      [24, 31],
      [48, 51],
      [88, 95],
    ] as [number, number][])
      expect(has(family)).toBe(true);
    const plans = GM_SONGS.map((s) => planSong(s.style, createPrng(s.seed * 8 + 1), s.seconds));
    expect(plans.some((p) => p.reverb) && plans.some((p) => !p.reverb)).toBe(true);
    expect(plans.filter((p) => p.vocalPan === 0).length).toBeGreaterThan(plans.length / 2);
    expect(plans.some((p) => p.vocalPan !== 0)).toBe(true);
  });

  it('sings a check song an octave lower with vocalShift −12, the same melody and the rest unchanged', () => {
    let below200Hz = 0;
    for (const spec of GM_SONGS) {
      const plan = planSong(spec.style, createPrng(spec.seed * 8 + 1), spec.seconds);
      const keys = (shift?: number) =>
        vocalPart(plan, createPrng(spec.seed * 8 + 4), shift)
          .part.events.filter((e) => (e.bytes[0]! & 0xf0) === 0x90)
          .map((e) => ({ at: e.tick, key: e.bytes[1]! }));
      const sung = keys();
      const low = keys(-12);
      expect(low).toEqual(sung.map((n) => ({ ...n, key: n.key - 12 })));
      expect(Math.min(...sung.map((n) => n.key))).toBeGreaterThanOrEqual(55);
      if (Math.min(...low.map((n) => n.key)) < 55) below200Hz++; // MIDI 55 is 196 Hz
    }
    // Most melodies then go below 200 Hz, as a baritone's does; the corpus songs' voices never do.
    expect(below200Hz).toBeGreaterThan(GM_SONGS.length / 2);
  });

  it('renders with FluidSynth deterministically, and the stems sum exactly to the mixture', async () => {
    const song: GmSongSpec = { id: 'short', seed: 7, style: 'pop', seconds: 5, split: 'test' };
    const [a, b] = await Promise.all([
      ensureGmCorpus({ cacheDir: join(dir, 'a'), songs: [song] }),
      ensureGmCorpus({ cacheDir: join(dir, 'b'), songs: [song] }),
    ]);
    const item = a[0]!;
    expect((await readFile(item.mixture)).equals(await readFile(b[0]!.mixture))).toBe(true);
    const mixture = (await readWavFile(item.mixture)).channels;
    const stems = await Promise.all(STEM_NAMES.map(async (s) => (await readWavFile(item.stems[s])).channels));
    let worst = 0;
    let energy = 0;
    for (let c = 0; c < 2; c++) {
      for (let i = 0; i < mixture[c]!.length; i++) {
        const sum = stems.reduce((acc, stem) => acc + stem[c]![i]!, 0);
        worst = Math.max(worst, Math.abs(sum - mixture[c]![i]!));
        energy += mixture[c]![i]! ** 2;
      }
    }
    expect(worst).toBeLessThan(1e-6);
    expect(energy).toBeGreaterThan(0);
    for (const stem of stems) expect(stem[0]!.some((v) => v !== 0)).toBe(true);
  }, 120_000);
});
