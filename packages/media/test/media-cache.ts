import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The folder of the run's generated test media, made by the global setup (media-cache-setup.ts) and read by
 * the test workers, which inherit its environment. Unset or `off`: every file is generated where it is
 * asked for.
 */
export const MEDIA_CACHE_ENV = 'IMK_TEST_MEDIA_CACHE';

/** Sources that differ from one run of ffmpeg to the next: a recipe naming one is never cached. */
const UNREPEATABLE = /anoisesrc|random\(|mandelbrot|cellauto|life=|\bnoise\b/;

/**
 * Makes `file` with `make(target)` (an ffmpeg command of lavfi sources only, given as `recipe`: every
 * argument but the output file), once per recipe and output extension in a test run; later files of the
 * same recipe are copies of the first, so many test files share the encodes of the same fixture. Each call
 * gets a copy of its own, which it may change. Without the run's cache folder, or for a recipe that reads a
 * file or a random source, `make(file)` runs as before.
 */
export async function cachedMedia(
  recipe: readonly string[],
  file: string,
  make: (target: string) => Promise<unknown>,
): Promise<void> {
  const cache = process.env[MEDIA_CACHE_ENV];
  if (!cache || cache === 'off' || !lavfiOnly(recipe)) {
    await make(file);
    return;
  }
  const ext = path.extname(file).toLowerCase();
  const key = createHash('sha256')
    .update(JSON.stringify([...recipe, ext]))
    .digest('hex')
    .slice(0, 32);
  const cached = path.join(cache, `${key}${ext}`);
  try {
    await copyFile(cached, file);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // Made beside the cache entry under its own name, then renamed whole: two workers making the same recipe
  // at once each rename a complete file (the same bytes), and no one copies a half-written one.
  await mkdir(cache, { recursive: true });
  const work = await mkdtemp(path.join(cache, `${key}-`));
  try {
    const made = path.join(work, `media${ext}`);
    await make(made);
    await rename(made, cached);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  await copyFile(cached, file);
}

/** Every input is a lavfi source (`-f lavfi -i …`) and none of them is random. */
function lavfiOnly(recipe: readonly string[]): boolean {
  let inputs = 0;
  for (const [i, arg] of recipe.entries()) {
    if (arg !== '-i') continue;
    inputs++;
    if (recipe[i - 1] !== 'lavfi' || recipe[i - 2] !== '-f') return false;
    if (UNREPEATABLE.test(recipe[i + 1] ?? '')) return false;
  }
  return inputs > 0 && !recipe.some((arg) => UNREPEATABLE.test(arg));
}

/** A fresh cache folder for one test run. */
export function makeMediaCacheDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'imk-test-media-'));
}
