export { checkServiceConfig, configFile, loadServiceConfig } from './load-config.ts';
export { yamlDepth } from './yaml-depth.ts';
export { homeTildeProblem, localPathSchema } from './home-tilde.ts';
export type { LoadConfigOptions, LoadedConfig } from './load-config.ts';
export { validateConfig } from './validate-config.ts';
export type { ConfigProblem, ConfigResult } from './validate-config.ts';
export { applyEnvOverrides } from './env-overrides.ts';
export type { EnvOverride } from './env-overrides.ts';
export { findUnknownKeys, retiredKeys } from './schema-walk.ts';
export type { UnknownKey } from './schema-walk.ts';
export {
  DEFAULT_QUEUE,
  PATHS_CONFIG,
  PathsConfigSchema,
  QUEUE_NAMES,
  SERVICE_STATE_LAYOUT,
  STATE_LAYOUT,
  resolvePaths,
  serviceStatePaths,
  statePaths,
} from './paths.ts';
export type { DataFolder, ImkPaths, PathsConfig, StatePaths } from './paths.ts';
export { migrateCopyName, newestMigrateCopies, parseMigrateCopyName } from './migrate-copies.ts';
export { dataFolderProblem } from './data-folders.ts';
export {
  DEEMIX_RETRIEVER,
  INBOX,
  INSTRUMENTAL_MAKER,
  NAS_SYNC,
  WEB,
  YOUTUBE_RETRIEVER,
} from './service-names.ts';
export {
  LEGACY_KEYS,
  LEGACY_GENERIC_KEYS,
  LEGACY_QUEUE_KEYS,
  NAS_SYNC_SERVICE_KEYS,
  applyLegacyEnv,
  cleanLegacyValue,
  decodeLegacyEnv,
  legacyBool,
  legacyEnvWarnings,
  legacyKey,
  legacyQueuesDir,
  legacyVariablesIn,
  parseLegacyEnv,
  pickLegacy,
  readLegacyEnv,
  warnLegacyEnv,
} from './legacy/index.ts';
export type {
  LegacyChange,
  LegacyEnv,
  LegacyKey,
  LegacyOverride,
  RepeatedKey,
  UnreadLine,
  WarnLogger,
} from './legacy/index.ts';
export { CONFIG_ERRORS } from './errors.ts';
export {
  SecretRefSchema,
  envSecret,
  fileSecret,
  fileSecretSync,
  isSecretProblem,
  readSecretRef,
  secretText,
} from './secrets.ts';
export type { SecretLines, SecretRef } from './secrets.ts';
export { MAX_TIMER_MS, timerMax } from './timer-limit.ts';
export type { TimerUnit } from './timer-limit.ts';
