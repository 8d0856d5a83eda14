export {
  SCHEMA_VERSION,
  AUDIO_FORMATS,
  STEM_NAMES,
  AudioFormatSchema,
  SAMPLE_RATE_RANGE,
  SampleRateSchema,
  BundlePathSchema,
  JOB_ID_MAX_LENGTH,
  JobIdSchema,
  LegacyPathSchema,
  ProducerSchema,
  Sha256Schema,
  StemNameSchema,
  STEM_LEVEL_RANGE,
  StemLevelSchema,
  ValidationSchema,
  YoutubeInfoSchema,
  bundlePathProblem,
  normaliseBundlePath,
} from './common.ts';
export type { AudioFormat, BundlePathOptions, StemName } from './common.ts';
export { JOB_ID_RULE, jobIdProblem } from './job-id-rule.ts';
export {
  FORMAT_BIT_DEPTHS,
  LOSSY_SAMPLE_RATES,
  bitDepthProblem,
  sampleRateProblem,
  writableRate,
} from './format-limits.ts';
export {
  JOB_PRIORITY,
  JobSchema,
  JobOptionsSchema,
  JobFileSchema,
  RemixSchema,
  REMIX_SOURCE_TYPE,
  TrackSchema,
  VariantNameSchema,
  VariantRequestSchema,
  unknownJobOptions,
} from './job.ts';
export type { Job, JobOptions, JobFile, Remix, Track } from './job.ts';
export {
  LEGACY_FILES_DIR,
  audioFilePath,
  bundleSongs,
  namesAreLegacyDeezerGuesses,
  resolveCover,
} from './songs.ts';
export { isVideoHalf } from './video-half.ts';
export { isSidecarName, sidecarCandidates } from './sidecar-names.ts';
export type { BundleSong } from './songs.ts';
export {
  MANIFEST_FILE,
  NAME_CHECK_PREFIX,
  CLOCK_CHECK_PREFIX,
  PUBLISHED_MARKER_FILE,
  REPLACED_DIR,
  isEarlierVersionOutputName,
  isListedOutputName,
  isOutputFolderName,
  isPartialName,
  consumerPart,
  partialDirName,
  earlierJobWorkDirName,
  jobWorkDirName,
  partialJobId,
  isPartialOf,
  replacedName,
  isEarlierVersionReplaced,
  mixClaimName,
  mixLeaseName,
  mixLeaseToken,
  staleMixClaimName,
  ARTIFACT_DIRS,
  artifactPath,
} from './outputs-layout.ts';
export {
  artifactsOnDisk,
  describeLeftOut,
  describeOutputNotes,
  describeOnDisk,
  describeOutputProblem,
  outputFinishedAt,
  outputFinishedMs,
  outputManifestOf,
  parseOutputManifest,
  readOutputManifest,
} from './outputs.ts';
export { findOutput, listOutputs, outputsNotListed, scanOutputFolders } from './outputs-scan.ts';
export type { OutputsScan } from './outputs-scan.ts';
export { entriesNotWritten, replacedFolderHold } from './outputs-foreign.ts';
export {
  REPLACE_WAIT_MS,
  isBeingReplaced,
  readJobOutput,
  readListedThroughReplace,
  readThroughReplace,
  jobFolderIdentity,
} from './outputs-replacing.ts';
export type { ListedThroughReplace, ReadThroughReplaceOptions } from './outputs-replacing.ts';
export type {
  ArtifactOnDisk,
  OutputArtifact,
  OutputFolder,
  OutputManifest,
  ReadOutputResult,
} from './outputs.ts';
export { findLegacyStems, legacyStemPath } from './legacy-stems.ts';
export {
  ARTIFACT_KINDS,
  ArtifactSchema,
  LegacyArtifactSchema,
  LegacyManifestSchema,
  LoudnessSchema,
  ManifestSchema,
  SOUNDLESS_CODEC,
} from './manifest.ts';
export type { Artifact, LegacyManifest, Manifest } from './manifest.ts';
export { formatVariantRef, isSavedMix } from './saved-mix.ts';
export {
  displayName,
  keyTempoSuffix,
  mixFileVerdict,
  sameMixFile,
  savedMixPath,
  savedMixSuffix,
} from './mix-file.ts';
export type { VariantKey } from './saved-mix.ts';
export type { MixFileVerdict } from './mix-file.ts';
export { PITCH_LIMITS, TEMPO_LIMITS, VARIANT_REQUEST_PATTERN, readVariantRef } from './variant-ref.ts';
export {
  describeProblems,
  formatIssues,
  newerJobVersion,
  parseJsonText,
  validateJob,
  validateManifest,
} from './validate.ts';
export type { AnyManifest, Validated, ValidationProblem } from './validate.ts';
export { DOCUMENT_SCHEMAS, documentJsonSchema, documentJsonSchemaText } from './json-schema.ts';
export type { DocumentName } from './json-schema.ts';
export { readBundle, readJobJson, JOB_FILE, JOB_FILE_MAX_BYTES } from './bundle.ts';
export { jobLabel, jobNameOf } from './job-label.ts';
export type { JobName, SongOfJob } from './job-label.ts';
export type { BundleResult } from './bundle.ts';
export { producerInfo } from './producer.ts';
export {
  STEM_CACHE_INPUT,
  STEM_CACHE_META_FILE,
  canonicalJson,
  decodeErrorsForEntry,
  decodeErrorsNaming,
  findCachedStems,
  isStemCacheEntryName,
  readStemCacheEntry,
  isStemCacheTempName,
  stemCacheDoomedName,
  stemCacheEntry,
  stemCacheFileName,
  stemCacheAudioKey,
  stemCacheKey,
  stemCacheWorkName,
} from './stem-cache.ts';
export type { StemCacheKeyInput, StemCacheMeta, StemCacheRead } from './stem-cache.ts';
export { documentFieldTable, replaceDocValues, replaceFieldTables } from './field-table.ts';
export { deref, jsonSchemaOf, markdownCell, schemaFields, typeOf } from './schema-table.ts';
export type { JsonSchemaNode, SchemaField } from './schema-table.ts';
export { processedAtIso, processedAtMs } from './processed-at.ts';
