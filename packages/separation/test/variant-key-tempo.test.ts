import { join } from 'node:path';
import { createWavWriter, readWavFile } from '@imk/media';
import { JobOptionsSchema, STEM_NAMES, VARIANT_REQUEST_PATTERN } from '@imk/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StemFiles } from '../src/engine.ts';
import { mixVariants } from '../src/variant-mix.ts';
import { parseVariantRef } from '../src/variant-ref.ts';
import { parseVariantList } from '../src/variants.ts';
import { makeTempDir } from './audio-fixtures.ts';

const RATE = 44100;
const SECONDS = 2;
const TONE_HZ = 440;

/** Frequency of a steady tone from its zero crossings (interpolated), away from the file's edges. */
function fundamentalHz(samples: Float32Array): number {
  const from = Math.floor(samples.length * 0.2);
  const to = Math.floor(samples.length * 0.8);
  const crossings: number[] = [];
  for (let i = from; i < to; i++) {
    const a = samples[i]!;
    const b = samples[i + 1]!;
    if (a <= 0 && b > 0) crossings.push(i + a / (a - b));
  }
  const periods = crossings.length - 1;
  return (periods * RATE) / (crossings[periods]! - crossings[0]!);
}

describe('variant key and tempo (rubberband after the mix)', () => {
  let dir = '';
  let cleanup: () => Promise<void> = () => Promise.resolve();
  const stems = {} as StemFiles;

  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir());
    const frames = RATE * SECONDS;
    for (const stem of STEM_NAMES) {
      stems[stem] = join(dir, `${stem}.wav`);
      const writer = createWavWriter(stems[stem], { sampleRate: RATE, channels: 2 });
      // A 440 Hz test tone in "other"; the other stems are silent.
      const tone = Float32Array.from({ length: frames }, (_, i) =>
        stem === 'other' ? 0.4 * Math.sin((2 * Math.PI * TONE_HZ * i) / RATE) : 0,
      );
      await writer.write([tone, tone]);
      await writer.close();
    }
  });
  afterAll(() => cleanup());

  it('pitch -2 puts the fundamental two semitones lower; tempo 0.8 makes it 1.25x as long', async () => {
    const recipes = parseVariantList('no_drums@-2,no_drums@0.8x');
    expect(recipes['no_drums@-2']).toMatchObject({ stems: ['bass', 'other'], pitch: -2 });
    expect(recipes['no_drums@0.8x']).toMatchObject({ tempo: 0.8 });
    const out = await mixVariants({ stems, recipes, outDir: dir });

    const lower = await readWavFile(out['no_drums@-2']!);
    const expected = TONE_HZ * 2 ** (-2 / 12); // 392.0 Hz
    const measured = fundamentalHz(lower.channels[0]!);
    expect(Math.abs(12 * Math.log2(measured / TONE_HZ) - -2)).toBeLessThan(0.05);
    expect(Math.abs(measured - expected)).toBeLessThan(2);
    expect(lower.frames / RATE).toBeCloseTo(SECONDS, 1);

    const slower = await readWavFile(out['no_drums@0.8x']!);
    const ratio = slower.frames / (RATE * SECONDS);
    expect(Math.abs(ratio - 1.25) / 1.25).toBeLessThan(0.01);
    // Pitch kept.
    expect(Math.abs(fundamentalHz(slower.channels[0]!) - TONE_HZ)).toBeLessThan(1);
  });

  it('mixes stems at the levels a recipe gives, and names bad modifiers', async () => {
    const out = await mixVariants({
      stems,
      recipes: { quiet: { stems: { other: 0.25, vocals: 1 } } },
      outDir: dir,
    });
    const quiet = await readWavFile(out.quiet!);
    const i = 1000;
    expect(quiet.channels[0]![i]).toBe(
      Math.fround(0.25 * Math.fround(0.4 * Math.sin((2 * Math.PI * TONE_HZ * i) / RATE))),
    );
    expect(() => parseVariantList('instrumental@-13')).toThrow(/outside -12/);
    expect(() => parseVariantList('instrumental@3x')).toThrow(/outside 0.5x/);
    expect(() => parseVariantList('instrumental@loud')).toThrow(/neither a pitch/);
    expect(parseVariantList('vocals').vocals).toMatchObject({ stems: ['vocals'] });
  });

  // `--variants` named a bad modifier in a stand-in ("x@-13") instead of the item typed, said "neither a pitch
  // nor a tempo" of a second pitch, and 'unknown variant ""' of an item with no name.
  it.each([
    ['instrumental,no_drums@-13', 'variant "no_drums@-13": pitch -13 is outside -12…+12 semitones'],
    ['instrumental@-12.5', 'variant "instrumental@-12.5": pitch -12.5 is outside -12…+12 semitones'],
    ['vocals@2.5x', 'variant "vocals@2.5x": tempo 2.5x is outside 0.5x…2.0x'],
    ['karaoke=drums+bass@13', 'variant "karaoke=drums+bass@13": pitch 13 is outside'],
    // Any number is read as one: out of range is said to be so (it was "neither a pitch nor a tempo").
    ['instrumental@10x', 'variant "instrumental@10x": tempo 10x is outside 0.5x…2.0x'],
    ['instrumental@.3x', 'variant "instrumental@.3x": tempo .3x is outside 0.5x…2.0x'],
    ['instrumental@100', 'variant "instrumental@100": pitch 100 is outside -12…+12 semitones'],
    ['instrumental@', 'variant "instrumental@": "@" is neither a pitch'],
    ['instrumental@-2@-3', 'variant "instrumental@-2@-3": two pitches, @-2 and @-3: give one'],
    ['no_drums@0.8x@0.9x', 'variant "no_drums@0.8x@0.9x": two tempos, @0.8x and @0.9x: give one'],
    ['@-2', 'variant "@-2" has no name before "@": write one'],
    ['=bass', 'variant "=bass" has no name before "=": write one'],
  ])('--variants %s: the error names the item as written and what is wrong', (list, said) => {
    expect(() => parseVariantList(list)).toThrow(said);
  });

  it('reads every pitch and tempo in range, 0 and the bounds included, and one recipe asked twice once', () => {
    const recipes = parseVariantList(
      'instrumental@+0,instrumental@-0,instrumental@0@1x,no_drums@+12@2x,no_drums@-12@0.5x,vocals@-1.5,vocals@-1.50',
    );
    expect(Object.keys(recipes)).toEqual([
      'instrumental',
      'no_drums@+12@2x',
      'no_drums@-12@0.5x',
      'vocals@-1.5',
    ]);
    expect(recipes['no_drums@-12@0.5x']).toMatchObject({ pitch: -12, tempo: 0.5 });
    expect(recipes['vocals@-1.5']).toMatchObject({ pitch: -1.5 });
  });

  it('reads a tempo or pitch written without its leading 0 (@.8x, @-.5), under its one spelling', () => {
    const recipes = parseVariantList('instrumental@.8x,no_drums@-.5@1.x');
    expect(Object.keys(recipes)).toEqual(['instrumental@0.8x', 'no_drums@-0.5']);
    expect(recipes['instrumental@0.8x']).toMatchObject({ tempo: 0.8 });
  });

  // job.json's options.variants were checked by a regular expression of their own: `@.8x` (documented, and
  // read by --variants and the worker) was refused there, and `@10x` or `@+100` got "expected a name such
  // as ..." instead of the range. Every reading, at the limits and just past, is now the same in both.
  it.each([
    'instrumental@-12',
    'instrumental@+12',
    'instrumental@12.0',
    'instrumental@-12.5',
    'instrumental@+13',
    'instrumental@+100',
    'instrumental@0.5x',
    'instrumental@0.49x',
    'instrumental@2x',
    'instrumental@2.0x',
    'instrumental@2.01x',
    'instrumental@10x',
    'instrumental@.8x',
    'instrumental@-.5',
    'instrumental@2.x',
    'no_drums@+3@0.9x',
    'no_drums@0.5x@-12',
    'instrumental@+2@+3',
    'instrumental@0.8x@0.9x',
    'instrumental@1e1',
    'instrumental@',
    'instrumental@x',
  ])("a job's options.variants read %s as --variants does", (variant) => {
    let said: string | undefined;
    try {
      parseVariantRef(variant);
    } catch (error) {
      said = (error as Error).message;
    }
    const checked = JobOptionsSchema.safeParse({ variants: [variant] });
    expect(checked.success).toBe(said === undefined);
    if (!checked.success) expect(checked.error.issues.map((i) => i.message)).toEqual([said]);
    // A producer checking job.json against docs/schemas lets through every variant the grammar reads.
    if (said === undefined) expect(variant).toMatch(new RegExp(VARIANT_REQUEST_PATTERN));
  });

  it("a job's options.variants name a bad name as such", () => {
    const checked = JobOptionsSchema.safeParse({ variants: ['Instrumental@-2', '@-2'] });
    expect(checked.error?.issues.map((i) => i.message)).toEqual([
      expect.stringContaining('variant "Instrumental@-2": expected a name such as "instrumental"'),
      expect.stringContaining('variant "@-2": expected a name such as "instrumental"'),
    ]);
  });
});
