import { join } from 'node:path';
import { isImkError } from '@imk/errors';
import { createWavWriter, readWavFile } from '@imk/media';
import { STEM_NAMES, type StemName } from '@imk/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PcmChannels, StemFiles } from '../src/engine.ts';
import { createPrng } from '../src/corpus/prng.ts';
import { mixVariants, nullResidualDb } from '../src/variant-mix.ts';
import { DEFAULT_VARIANT_RECIPES, parseVariantList, validateVariantRecipes } from '../src/variants.ts';
import { makeTempDir } from './audio-fixtures.ts';

// Longer than one streaming block (65536 frames), and not a multiple of it.
const FRAMES = 150_001;

async function writeFloat(path: string, pcm: PcmChannels): Promise<void> {
  const writer = createWavWriter(path, { sampleRate: 44100, channels: 2 });
  // In uneven pieces, as an engine would write them.
  for (let at = 0; at < FRAMES; at += 40_000)
    await writer.write(pcm.map((c) => c.subarray(at, Math.min(FRAMES, at + 40_000))));
  await writer.close();
}

function randomStereo(seed: number, gain: number): PcmChannels {
  const rng = createPrng(seed);
  return [0, 1].map(() => Float32Array.from({ length: FRAMES }, () => gain * (rng() * 2 - 1)));
}

/** Counts samples where `actual` differs from `expected(c, i)` rounded to float32. */
function mismatches(actual: PcmChannels, expected: (c: number, i: number) => number): number {
  let bad = 0;
  for (let c = 0; c < 2; c++)
    for (let i = 0; i < FRAMES; i++) if (actual[c]![i] !== Math.fround(expected(c, i))) bad++;
  return bad;
}

describe('variants', () => {
  let dir = '';
  let cleanup: () => Promise<void> = () => Promise.resolve();
  const pcm = {} as Record<StemName, PcmChannels>;
  const stems = {} as StemFiles;
  let mixture: PcmChannels = [];
  let mixtureFile = '';

  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir());
    for (const [n, stem] of STEM_NAMES.entries()) {
      pcm[stem] = randomStereo(n + 1, 0.3 / (n + 1));
      stems[stem] = join(dir, `${stem}.wav`);
      await writeFloat(stems[stem], pcm[stem]);
    }
    mixture = [0, 1].map((c) =>
      Float32Array.from({ length: FRAMES }, (_, i) =>
        STEM_NAMES.reduce((s, stem) => s + pcm[stem][c]![i]!, 0),
      ),
    );
    mixtureFile = join(dir, 'mixture.wav');
    await writeFloat(mixtureFile, mixture);
  });
  afterAll(() => cleanup());

  it('equal their recipes sample for sample (default set, a custom sum, mixture minus vocals)', async () => {
    const recipes = {
      ...DEFAULT_VARIANT_RECIPES,
      ...parseVariantList('karaoke=drums+bass+other+vocals,inst_mm=mixture-vocals'),
    };
    const out = await mixVariants({ stems, mixture: mixtureFile, recipes, outDir: dir });
    const read = async (name: string) => (await readWavFile(out[name]!)).channels;
    const s = (stem: StemName, c: number, i: number) => pcm[stem][c]![i]!;
    expect(
      mismatches(await read('instrumental'), (c, i) => s('drums', c, i) + s('bass', c, i) + s('other', c, i)),
    ).toBe(0);
    expect(mismatches(await read('no_drums'), (c, i) => s('bass', c, i) + s('other', c, i))).toBe(0);
    expect(mismatches(await read('drums_only'), (c, i) => s('drums', c, i))).toBe(0);
    expect(mismatches(await read('inst_mm'), (c, i) => mixture[c]![i]! - s('vocals', c, i))).toBe(0);
    expect(mismatches(await read('karaoke'), (c, i) => mixture[c]![i]!)).toBe(0);
    expect((await read('instrumental'))[0]!.length).toBe(FRAMES);
  });

  it('report how closely stems sum back to the mixture (null residual in dB)', async () => {
    // The mixture is the float32-rounded sum: only rounding is left, far below anything audible.
    expect(await nullResidualDb(mixtureFile, stems)).toBeLessThan(-120);
    // Without the bass the residual is the bass: its level relative to the mixture.
    const noBass = { ...stems, bass: join(dir, 'silent.wav') };
    await writeFloat(noBass.bass, [new Float32Array(FRAMES), new Float32Array(FRAMES)]);
    const db = await nullResidualDb(mixtureFile, noBass);
    const energy = (p: PcmChannels) => p.reduce((sum, c) => sum + c.reduce((s, v) => s + v * v, 0), 0);
    expect(db).toBeCloseTo(10 * Math.log10(energy(pcm.bass) / energy(mixture)), 3);
  });

  it('refuse stems of different lengths instead of padding silently', async () => {
    const short = join(dir, 'short.wav');
    const writer = createWavWriter(short, { sampleRate: 44100, channels: 2 });
    await writer.write([new Float32Array(1000), new Float32Array(1000)]);
    await writer.close();
    const error = await mixVariants({
      stems: { ...stems, bass: short },
      recipes: DEFAULT_VARIANT_RECIPES,
      outDir: join(dir, 'x'),
    }).catch((e: unknown) => e);
    expect(isImkError(error, 'STEM_LENGTH_MISMATCH')).toBe(true);
  });

  it('need the mixture for a mixture_minus recipe', async () => {
    const error = await mixVariants({
      stems,
      recipes: parseVariantList('inst=mixture-vocals'),
      outDir: dir,
    }).catch((e: unknown) => e);
    expect(isImkError(error, 'VARIANT_NEEDS_MIXTURE')).toBe(true);
  });

  it('validate recipes from config with dotted paths', () => {
    expect(validateVariantRecipes({ a: { stems: ['drums'] } }).errors).toEqual([]);
    const { errors } = validateVariantRecipes({
      'Bad Name': { stems: ['drums'] },
      b: { stems: ['guitar'] },
      c: { stems: ['bass'], mixture_minus: ['vocals'] },
    });
    expect(errors.some((e) => e.startsWith('variants.Bad Name'))).toBe(true);
    expect(errors.some((e) => e.startsWith('variants.b.stems.0'))).toBe(true);
    expect(errors.some((e) => e.startsWith('variants.c') && e.includes('exactly one'))).toBe(true);
    expect(() => parseVariantList('nope')).toThrow(/unknown variant "nope"/);
    expect(() => parseVariantList('x=drums+guitar')).toThrow(/invalid variant/);
  });

  // A recipe with every level at 0 read no stem, so the mix's read-until-the-end loop never ended: a
  // worker spun forever on such a mix (a saved mix with every fader down).
  it('refuse a recipe whose every level is 0 or that names no stem, naming the field', () => {
    for (const stems of [{ vocals: 0, drums: 0 }, {}])
      expect(validateVariantRecipes({ silent: { stems } }).errors).toEqual([
        'variants.silent.stems: give at least one stem a level above 0 (with every level at 0 the variant would be silent)',
      ]);
    expect(validateVariantRecipes({ quiet: { stems: { vocals: 0, bass: 0.01 } } }).errors).toEqual([]);
  });

  it('mix a recipe whose every level is 0 (a caller that skipped the check) as the song length of silence', async () => {
    const out = await mixVariants({
      stems,
      recipes: { silent: { stems: { vocals: 0, drums: 0, bass: 0, other: 0 } } },
      outDir: dir,
    });
    const silent = (await readWavFile(out.silent!)).channels;
    expect(silent[0]!.length).toBe(FRAMES);
    expect(silent.every((c) => c.every((v) => v === 0))).toBe(true);
  }, 30_000);
});
