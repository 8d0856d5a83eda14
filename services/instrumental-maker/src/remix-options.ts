import type { Manifest } from '@imk/protocol';
import type { VariantRecipe } from '@imk/separation';
import type { InstrumentalMakerConfig } from './config.ts';
import type { ResolvedOptions } from './options.ts';

/**
 * How a mix saved for a published job is encoded: as that job's variants were (its manifest's options:
 * format, sample rate, bit depth, loudness), so the new file sits beside them as one of theirs.
 */
export function manifestOptionsToResolved(
  config: InstrumentalMakerConfig,
  manifest: Pick<Manifest, 'engine'> & Partial<Pick<Manifest, 'options'>>,
  name: string,
  recipe: VariantRecipe,
): ResolvedOptions {
  const o = manifest.options ?? {};
  const loudness =
    o.target_lufs !== undefined || o.true_peak !== undefined
      ? {
          targetLufs: o.target_lufs ?? config.loudness.targetLufs,
          truePeak: o.true_peak ?? config.loudness.truePeak,
          twoPass: o.two_pass_loudness ?? config.loudness.twoPass,
        }
      : undefined;
  return {
    variants: [name],
    recipes: { [name]: recipe },
    keepStems: [],
    stemFormat: config.stems.format,
    stemMp4: false,
    format: o.output_format ?? config.output.format,
    sampleRate: o.sample_rate ?? config.output.sampleRate,
    bitDepth: o.bit_depth ?? config.output.bitDepth,
    bitrate: config.output.bitrate,
    loudness,
    engine: { name: manifest.engine.name, params: manifest.engine.params },
    sources: ['remix'],
  };
}
