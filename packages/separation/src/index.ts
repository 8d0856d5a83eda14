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
  DEFAULT_VARIANTS,
  VariantRecipeSchema,
  VariantRecipesSchema,
  StemGainSchema,
  parseVariantList,
  sharedVariantFile,
  validateVariantRecipes,
  variantTerms,
} from './variants.ts';
export type { VariantRecipe, VariantRecipes, VariantTerms } from './variants.ts';
export {
  PitchSchema,
  TempoSchema,
  applyVariantRef,
  formatVariantRef,
  keyTempoSuffix,
  parseVariantRef,
} from './variant-ref.ts';
export type { VariantRef } from './variant-ref.ts';
export { mixVariants, nullResidualDb } from './variant-mix.ts';
export type { MixVariantsOptions, NullResidualOptions } from './variant-mix.ts';
export { CORPUS_VERSION, defaultCorpusDir, ensureCorpus } from './corpus/corpus.ts';
export type { CorpusItem, EnsureCorpusOptions } from './corpus/corpus.ts';
export { CORPUS_ITEMS } from './corpus/items.ts';
export type { CorpusItemSpec } from './corpus/items.ts';
export { STEM_SAMPLE_RATE } from './pcm-source.ts';
export { STEM_LENGTH_SLACK_SEC, commonStemLength } from './stem-lengths.ts';
export type { SongFileLength } from './stem-lengths.ts';
export { evaluateEngine } from './eval/evaluate.ts';
export type { EvaluateOptions } from './eval/evaluate.ts';
export {
  evalDirCandidates,
  findMusdbSample,
  musdbSampleSet,
  syntheticSet,
  MUSDB_SAMPLE_FOLDER,
} from './eval/eval-sets.ts';
export type { EvalSet, EvalTrack } from './eval/eval-sets.ts';
export { centreCancelEstimates, floorEstimates, repetSimEstimates } from './eval/baselines.ts';
export { REPET_SIM_DEFAULTS, repetSimSeparate } from './eval/repet-sim-baseline.ts';
export { musdbFolderSet } from './eval/folder-set.ts';
export { GM_CORPUS_VERSION, ensureGmCorpus, gmCorpusSets } from './gm-corpus/corpus.ts';
export type { EnsureGmCorpusOptions, GmCorpusItem } from './gm-corpus/corpus.ts';
export { GM_SONGS, GM_SPLIT_SEED } from './gm-corpus/songs.ts';
export type { GmSongSpec } from './gm-corpus/songs.ts';
export { findSoundfont } from './gm-corpus/fluidsynth.ts';
export { evalReportJson, formatEvalTable } from './eval/report.ts';
export { EVAL_METHODS, EVAL_STEMS, METRIC_DESCRIPTION } from './eval/scores.ts';
export type {
  EvalMethod,
  EvalReport,
  EvalSplit,
  EvalStem,
  MethodScores,
  SetScores,
  StemScores,
  TrackScores,
} from './eval/scores.ts';
export { ENGINE_NAMES, createEngine, isEngineName } from './engines/registry.ts';
export type { EngineName, EngineOptionsByName } from './engines/registry.ts';
export { BUILTIN_ENGINE_NAME, createBuiltinEngine } from './engines/builtin.ts';
export type { BuiltinEngineOptions } from './engines/builtin.ts';
export {
  BUILTIN_VERSION,
  BuiltinParamsSchema,
  DEFAULT_BUILTIN_PARAMS,
  createBlockSeparator,
  resolveBuiltinParams,
  sdr,
  separatePcm,
} from './builtin/index.ts';
export type { BlockSeparator, BuiltinParams } from './builtin/index.ts';
export {
  createMdxEngine,
  MDX_ENGINE_NAME,
  MDX_ENGINE_VERSION,
  MdxEngineOptionsSchema,
} from './engines/mdx.ts';
export type { MdxEngineDeps, MdxEngineOptions } from './engines/mdx.ts';
export { MDX_HASH_TAIL_BYTES, mdxModelHash } from './mdx/model-hash.ts';
export { mdxExternalDataFiles } from './mdx/external-data.ts';
export {
  MDX_MODEL_DATA_KEYS,
  MdxModelDataSchema,
  mdxModelDataFiles,
  modelDataSidecarPath,
  resolveMdxModelParams,
} from './mdx/model-params.ts';
export type { MdxModelData, MdxModelParams } from './mdx/model-params.ts';
export { KNOWN_MDX_MODELS } from './mdx/known-models.ts';
export type { KnownMdxModel } from './mdx/known-models.ts';
export {
  MDX_INPUT_NAME,
  ORT_SESSIONS,
  checkMdxRuntime,
  describeUnusedProviders,
} from './mdx/model-session.ts';
export type {
  MdxSession,
  MdxSessionFactory,
  MdxSessionOptions,
  UnusedProvider,
} from './mdx/model-session.ts';
export { acquireMdxSession, openMdxSessionCount } from './mdx/session-pool.ts';
export type { MdxSessionHandle } from './mdx/session-pool.ts';
export { inspectMdxModel } from './mdx/inspect.ts';
export {
  configuredModelsPath,
  modelNameInFolder,
  listMdxModelFiles,
  modelsDir,
  modelsFolderPath,
  resolveModelInFolder,
  MODELS_FOLDER,
} from './mdx/models-folder.ts';
export type { MdxModelReport } from './mdx/inspect.ts';
export { SEPARATION_ERRORS } from './errors.ts';
