export type {
  PcmChannels,
  SeparateRequest,
  SeparationEngine,
  SeparationResult,
  StemFiles,
  StemPcm,
} from './engine.ts';
export {
  createDemucsEngine,
  DEMUCS_ENGINE_NAME,
  DEMUCS_INSTALL_HINT,
  DemucsEngineOptionsSchema,
  parseDemucsProgress,
} from './engines/demucs.ts';
export type { DemucsEngineOptions } from './engines/demucs.ts';
export { conformStems, createStemWriters, stemPaths } from './engines/stem-output.ts';
export type { StemWriters } from './engines/stem-output.ts';
export {
  DEFAULT_VARIANT_RECIPES,
  VariantNameSchema,
  VariantRecipeSchema,
  VariantRecipesSchema,
  parseVariantList,
  validateVariantRecipes,
  variantTerms,
} from './variants.ts';
export type { VariantRecipe, VariantRecipes, VariantTerms } from './variants.ts';
export { mixVariants, nullResidualDb } from './variant-mix.ts';
export type { MixVariantsOptions, NullResidualOptions } from './variant-mix.ts';
export { CORPUS_VERSION, defaultCorpusDir, ensureCorpus } from './corpus/corpus.ts';
export type { CorpusItem, EnsureCorpusOptions } from './corpus/corpus.ts';
export { CORPUS_ITEMS } from './corpus/items.ts';
export type { CorpusItemSpec } from './corpus/items.ts';
export { STEM_SAMPLE_RATE } from './pcm-source.ts';
