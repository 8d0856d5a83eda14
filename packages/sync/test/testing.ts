// Test helpers other packages use (the nas-sync service tests, the benchmark): real servers on loopback
// and output-folder fixtures.
export * from './servers/index.ts';
export { audioJob, writeJob } from './fixtures.ts';
export { capturingLogger } from './helpers.ts';
export type { FixtureArtifact, FixtureJob } from './fixtures.ts';
