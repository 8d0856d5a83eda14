import { formatVariantRef, parseVariantRef, type VariantRecipe, type VariantRecipes } from '@imk/separation';
import type { InstrumentalMakerConfig } from './config.ts';
import type { ResolvedOptions } from './options.ts';

export interface VideoVariant {
  /** The variant whose WAV goes under the picture. */
  name: string;
  recipe: VariantRecipe | undefined;
  /** The recipes to mix: the job's, plus the video's when it is none of them. */
  recipes: VariantRecipes;
}

/**
 * The variant put under a video's picture: `video.variant` from config when the job makes it, else the
 * job's first. The picture keeps its timing, so its sound keeps the tempo: a variant slowed or sped up
 * (`instrumental@-2@0.8x`, or a job's `tempo: 0.8`) goes under the picture at its key but at tempo 1,
 * mixed as one more recipe; a slowed sound under the same picture would drift out of sync with it.
 */
export function chooseVideoVariant(
  options: ResolvedOptions,
  config: InstrumentalMakerConfig,
  hasVideo: boolean,
): VideoVariant {
  const recipes = { ...options.recipes };
  let name = options.recipes[config.video.variant] ? config.video.variant : options.variants[0]!;
  if (!hasVideo || !config.video.instrumental) return { name, recipe: recipes[name], recipes };
  recipes[name] ??= config.recipes[name]!;
  const recipe = recipes[name];
  if (recipe === undefined || (recipe.tempo ?? 1) === 1) return { name, recipe, recipes };
  const { tempo: _stretched, ...atTempo } = recipe;
  const same = formatVariantRef({ base: parseVariantRef(name).base, pitch: recipe.pitch });
  // A published variant of that name made at another tempo (a config recipe's own) is left as it is.
  name = recipes[same] === undefined || (recipes[same].tempo ?? 1) === 1 ? same : `${same}@1x`;
  recipes[name] ??= atTempo;
  return { name, recipe: recipes[name], recipes };
}
