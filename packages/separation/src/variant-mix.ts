import type { Within } from '@imk/media';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { changeKeyTempo, createWavWriter, type WavWriter } from '@imk/media';
import { STEM_NAMES } from '@imk/protocol';
import { ImkError } from '@imk/errors';
import type { StemFiles } from './engine.ts';
import type { FrameReader } from './frame-reader.ts';
import { BLOCK_FRAMES, STEM_SAMPLE_RATE, closeAll, openAudio, openStem, readLockstep } from './pcm-source.ts';
import { variantTerms, type VariantRecipes, type VariantTerms } from './variants.ts';
import './errors.ts';

export interface MixVariantsOptions {
  stems: StemFiles;
  /** The mixture, needed by `mixture_minus` recipes (any format; decoded to 44.1 kHz stereo). */
  mixture?: string;
  recipes: VariantRecipes;
  /** Folder the variant WAVs are written to, as `variant-<name>.wav` (never a stem's name: `vocals` is both). */
  outDir: string;
  /**
   * The folder someone else writes that the mixture may come from (the job's bundle, when the stems came
   * from the cache and the input itself is the mixture): held inside it when read (see @imk/media's
   * OpenInputsOptions), so a folder on its path swapped for a link is refused, not mixed into a variant.
   */
  within?: Within;
  signal?: AbortSignal;
}

/**
 * Writes one float32 WAV per recipe, summing the stems (times their levels) sample by sample in double
 * precision and rounding once to float32 (never ffmpeg's amix, which rescales its inputs). Streams in
 * blocks: memory does not grow with the song. A recipe's `pitch`/`tempo` is then applied to its mix with
 * ffmpeg's rubberband filter. Returns the path of each variant by name.
 */
export async function mixVariants(options: MixVariantsOptions): Promise<Record<string, string>> {
  const mixed = await sumVariants(options);
  for (const [name, recipe] of Object.entries(options.recipes)) {
    if ((recipe.pitch ?? 0) === 0 && (recipe.tempo ?? 1) === 1) continue;
    const changed = join(options.outDir, `variant-${name}.key-tempo.wav`);
    await changeKeyTempo({
      input: mixed[name]!,
      output: changed,
      pitch: recipe.pitch,
      tempo: recipe.tempo,
      signal: options.signal,
    });
    await rm(mixed[name]!, { force: true });
    mixed[name] = changed;
  }
  return mixed;
}

async function sumVariants(options: MixVariantsOptions): Promise<Record<string, string>> {
  const terms = Object.entries(options.recipes).map(
    ([name, recipe]) => [name, variantTerms(recipe)] as const,
  );
  const needsMixture = terms.some(([, t]) => t.mixture !== 0);
  if (needsMixture && options.mixture === undefined)
    throw new ImkError(
      'VARIANT_NEEDS_MIXTURE',
      `variants ${terms
        .filter(([, t]) => t.mixture !== 0)
        .map(([n]) => n)
        .join(', ')} subtract from the mixture: pass the mixture file`,
    );
  const used = STEM_NAMES.filter((stem) => terms.some(([, t]) => t.stems[stem] !== 0));
  // The blocks end when the sources do: with every level at 0 and no mixture nothing would be read and the
  // loop below would never end (a worker spinning forever on a silent mix). Read one stem for the length,
  // so such a recipe is the song's length of silence.
  if (used.length === 0 && !needsMixture) used.push(STEM_NAMES[0]);
  const readers: Record<string, FrameReader> = {};
  const writers: [string, VariantTerms, WavWriter][] = [];
  const outputs: Record<string, string> = {};
  let ok = false;
  try {
    for (const stem of used) readers[stem] = await openStem(options.stems[stem], options.signal);
    if (needsMixture && options.mixture !== undefined)
      readers.mixture = await openAudio(options.mixture, options.signal, options.within);
    for (const [name, t] of terms) {
      outputs[name] = join(options.outDir, `variant-${name}.wav`);
      writers.push([name, t, createWavWriter(outputs[name], { sampleRate: STEM_SAMPLE_RATE, channels: 2 })]);
    }
    for (;;) {
      const blocks = await readLockstep(readers, BLOCK_FRAMES);
      if (blocks === undefined) break;
      const frames = Object.values(blocks)[0]?.[0]?.length ?? 0;
      for (const [, t, writer] of writers) {
        const sources = [
          ...used.map((stem) => [t.stems[stem], blocks[stem]] as const),
          [t.mixture, blocks.mixture] as const,
        ].filter(([k]) => k !== 0);
        const out = [new Float32Array(frames), new Float32Array(frames)];
        for (let c = 0; c < 2; c++) {
          const target = out[c]!;
          const inputs = sources.map(([k, block]) => [k, block?.[c] ?? new Float32Array(frames)] as const);
          for (let i = 0; i < frames; i++) {
            let sum = 0;
            for (const [k, channel] of inputs) sum += k * (channel[i] ?? 0);
            target[i] = sum;
          }
        }
        await writer.write(out);
      }
    }
    for (const [, , writer] of writers) await writer.close();
    ok = true;
    return outputs;
  } finally {
    await closeAll(readers);
    if (!ok) await Promise.all(writers.map(([, , writer]) => writer.abort().catch(() => undefined)));
  }
}

export interface NullResidualOptions {
  signal?: AbortSignal;
}

/**
 * How far the stems are from summing back to the mixture: 10·log10(Σ(m − Σ stems)² / Σ m²), in dB
 * (−Infinity when they sum back exactly; float32 rounding alone gives about −140 dB).
 */
export async function nullResidualDb(
  mixture: string,
  stems: StemFiles,
  options: NullResidualOptions = {},
): Promise<number> {
  const readers: Record<string, FrameReader> = {};
  try {
    readers.mixture = await openAudio(mixture, options.signal);
    for (const stem of STEM_NAMES) readers[stem] = await openStem(stems[stem], options.signal);
    let energy = 0;
    let residual = 0;
    for (;;) {
      const blocks = await readLockstep(readers, BLOCK_FRAMES);
      if (blocks === undefined) break;
      for (let c = 0; c < 2; c++) {
        const m = blocks.mixture?.[c] ?? new Float32Array(0);
        const parts = STEM_NAMES.map((stem) => blocks[stem]?.[c] ?? new Float32Array(m.length));
        for (let i = 0; i < m.length; i++) {
          let sum = 0;
          for (const part of parts) sum += part[i] ?? 0;
          const mi = m[i] ?? 0;
          energy += mi * mi;
          residual += (mi - sum) ** 2;
        }
      }
    }
    if (residual === 0) return -Infinity;
    return energy === 0 ? Infinity : 10 * Math.log10(residual / energy);
  } finally {
    await closeAll(readers);
  }
}
