import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg, makeTempDir } from './helpers.ts';
import { cachedMedia, MEDIA_CACHE_ENV } from './media-cache.ts';

// The run's cache of generated test media: the same lavfi recipe is encoded once, every test gets the
// same bytes as its own copy, and recipes that are not the same from one run to the next are never shared.
let temp: Awaited<ReturnType<typeof makeTempDir>>;
let saved: string | undefined;

beforeAll(async () => {
  temp = await makeTempDir();
  saved = process.env[MEDIA_CACHE_ENV];
  process.env[MEDIA_CACHE_ENV] = path.join(temp.dir, 'cache');
});
afterAll(async () => {
  if (saved === undefined) delete process.env[MEDIA_CACHE_ENV];
  else process.env[MEDIA_CACHE_ENV] = saved;
  await temp.cleanup();
});

/** Runs cachedMedia with a real ffmpeg and counts the encodes. */
function counter() {
  let encodes = 0;
  const make = (recipe: string[], file: string) =>
    cachedMedia(recipe, file, async (target) => {
      encodes++;
      await ffmpeg(...recipe, target);
    });
  return { make, encodes: () => encodes };
}

describe('generated test media', () => {
  it('is encoded once per recipe; each file is a copy of its own with the bytes ffmpeg wrote', async () => {
    const { make, encodes } = counter();
    const recipe = ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac'];
    const [a, b, c] = ['a.m4a', 'b.m4a', 'c.m4a'].map((name) => path.join(temp.dir, name)) as [
      string,
      string,
      string,
    ];
    await Promise.all([make(recipe, a), make(recipe, b)]);
    await make(recipe, c);
    expect(encodes()).toBeLessThanOrEqual(2); // two at the same moment may both encode, never a third
    const direct = path.join(temp.dir, 'direct.m4a');
    await ffmpeg(...recipe, direct);
    const bytes = await readFile(direct);
    for (const file of [a, b, c]) expect((await readFile(file)).equals(bytes), file).toBe(true);
    // A test that changes its copy changes no one else's.
    const before = encodes();
    await writeFile(a, 'changed');
    await make(recipe, path.join(temp.dir, 'd.m4a'));
    expect((await readFile(path.join(temp.dir, 'd.m4a'))).equals(bytes)).toBe(true);
    expect(encodes()).toBe(before);
    // Another output format is another file.
    await make(recipe, path.join(temp.dir, 'e.mka'));
    expect(encodes()).toBe(before + 1);
  });

  it('is made afresh each time when it reads a file or a random source', async () => {
    const { make, encodes } = counter();
    const noise = ['-f', 'lavfi', '-i', 'anoisesrc=d=0.2:a=0.5:c=white'];
    await make(noise, path.join(temp.dir, 'n1.wav'));
    await make(noise, path.join(temp.dir, 'n2.wav'));
    expect(encodes()).toBe(2);
    const fromFile = ['-i', path.join(temp.dir, 'n1.wav'), '-c:a', 'flac'];
    await make(fromFile, path.join(temp.dir, 'f1.flac'));
    await make(fromFile, path.join(temp.dir, 'f2.flac'));
    expect(encodes()).toBe(4);
  });
});
