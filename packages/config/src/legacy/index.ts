export type { LegacyChange, LegacyEnv, LegacyKey } from './types.ts';
export {
  cleanLegacyValue,
  decodeLegacyEnv,
  legacyBool,
  parseLegacyEnv,
  pickLegacy,
  readLegacyEnv,
} from './env-file.ts';
export type { LegacyEnvFile, RepeatedKey, UnreadLine } from './env-file.ts';
export { LEGACY_QUEUE_KEYS, legacyQueuesDir } from './layout-keys.ts';
export { LEGACY_KEYS, legacyKey } from './table.ts';
export { NAS_SYNC_SERVICE_KEYS } from './nas-keys.ts';
export { EXTRA_GENERIC_KEYS as LEGACY_GENERIC_KEYS } from './extra-keys.ts';
export { applyLegacyEnv, legacyEnvWarnings, legacyVariablesIn, warnLegacyEnv } from './honour.ts';
export type { LegacyOverride, WarnLogger } from './honour.ts';
