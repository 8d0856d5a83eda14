import { rm } from 'node:fs/promises';
import { buildImkBundle } from './bundle/build.ts';
import { IMK_BUNDLE_ENV } from './imk-bin.ts';

/**
 * Vitest global setup: builds the test bundle of `imk` and of the scripts tests start as processes once per
 * run (see bundle/build.ts, bundle/scripts.ts). `IMK_TEST_BUNDLE=off npm test` runs every test on
 * bin/imk.js and those scripts through tsx instead (slower; the command as users run it).
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env[IMK_BUNDLE_ENV] === 'off') return undefined;
  const { dir, bin } = await buildImkBundle();
  // Read by imk-bin.ts in the test workers, which inherit this process's environment.
  process.env[IMK_BUNDLE_ENV] = bin;
  return async () => {
    delete process.env[IMK_BUNDLE_ENV];
    await rm(dir, { recursive: true, force: true });
  };
}
