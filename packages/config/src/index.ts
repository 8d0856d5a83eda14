export { loadServiceConfig } from './load-config.ts';
export type { LoadConfigOptions, LoadedConfig } from './load-config.ts';
export { validateConfig } from './validate-config.ts';
export type { ConfigProblem, ConfigResult } from './validate-config.ts';
export { applyEnvOverrides } from './env-overrides.ts';
export { QUEUE_NAMES, resolvePaths } from './paths.ts';
export type { ImkPaths } from './paths.ts';
