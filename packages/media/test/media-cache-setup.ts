import { rm } from 'node:fs/promises';
import { MEDIA_CACHE_ENV, makeMediaCacheDir } from './media-cache.ts';

/**
 * Vitest global setup: one folder for the run's generated test media (see media-cache.ts), removed at the
 * end of the run. The test workers inherit this process's environment. `IMK_TEST_MEDIA_CACHE=off npm test`
 * generates every file where it is asked for.
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env[MEDIA_CACHE_ENV] === 'off') return undefined;
  const dir = await makeMediaCacheDir();
  process.env[MEDIA_CACHE_ENV] = dir;
  return async () => {
    delete process.env[MEDIA_CACHE_ENV];
    await rm(dir, { recursive: true, force: true });
  };
}
