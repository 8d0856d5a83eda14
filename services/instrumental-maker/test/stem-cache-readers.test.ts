import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STEM_NAMES, findCachedStems, stemCacheKey } from '@imk/protocol';
import { createStemCache } from '../src/stem-cache.ts';

// The stem cache has two readers: the worker (a hit skips the separation; a remix mixes the cached stems)
// and the dashboard's mixer (which plays them). Both read an entry through protocol's one reader, so they
// agree on what an entry is. Before, each parsed meta.json by hand: a meta.json that parses but is not the
// cache's ({} or null, a half-copied cache folder, an older tool's file) threw a TypeError in both, a 500
// from the mixer and a failed attempt of the job, instead of a miss that separates the song again.

const engine = { name: 'builtin', version: '1', params: {} };
const manifest = { input: { sha256: 'a'.repeat(64) }, engine };
const key = stemCacheKey({ inputSha256: manifest.input.sha256, engine });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-stem-readers-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function entryWithMeta(meta: string): Promise<string> {
  const entry = join(dir, key);
  await mkdir(entry, { recursive: true });
  for (const stem of STEM_NAMES) await writeFile(join(entry, `${stem}.wav`), Buffer.alloc(100));
  await writeFile(join(entry, 'meta.json'), meta);
  return entry;
}

describe('a stem cache entry, as the worker and the mixer read it', () => {
  it.each(['{}', 'null', '[]', '{"bytes": null}', '{"bytes": {"vocals": "100"}}', 'not json'])(
    'meta.json %s is a miss for both (no TypeError), and the worker removes the entry',
    async (meta) => {
      await entryWithMeta(meta);
      expect(await findCachedStems(dir, manifest)).toBeUndefined();
      const cache = createStemCache({ dir });
      expect(await cache.lookup(key)).toBeUndefined();
      expect(await findCachedStems(dir, manifest)).toBeUndefined();
    },
  );

  it('a complete entry is a hit for both, with the same files', async () => {
    const bytes = Object.fromEntries(STEM_NAMES.map((stem) => [stem, 100]));
    await entryWithMeta(JSON.stringify({ key, bytes, sample_rate: 44100, frames: 25 }));
    const forMixer = await findCachedStems(dir, manifest);
    const forWorker = await createStemCache({ dir }).lookup(key);
    expect(forMixer).toBeDefined();
    expect(forWorker?.stems).toEqual(forMixer);
    expect(forWorker).toMatchObject({ sampleRate: 44100, frames: 25 });
  });

  it('a stem of another size than meta.json says is a miss for both', async () => {
    const bytes = Object.fromEntries(STEM_NAMES.map((stem) => [stem, stem === 'bass' ? 99 : 100]));
    await entryWithMeta(JSON.stringify({ key, bytes, sample_rate: 44100, frames: 25 }));
    expect(await findCachedStems(dir, manifest)).toBeUndefined();
    expect(await createStemCache({ dir }).lookup(key)).toBeUndefined();
  });

  // A cache shared between hosts is a folder others can write to: an entry that is a link to a folder
  // elsewhere, holding a well-formed entry, was a hit, and the mixer and a remix read stems from outside.
  it('an entry that is a link to a folder outside the cache is a miss for both; the folder is left alone', async () => {
    const outside = join(dir, '..', `${dir.split('/').pop()!}-outside`);
    await mkdir(outside, { recursive: true });
    try {
      const bytes = Object.fromEntries(STEM_NAMES.map((stem) => [stem, 100]));
      for (const stem of STEM_NAMES) await writeFile(join(outside, `${stem}.wav`), Buffer.alloc(100));
      await writeFile(
        join(outside, 'meta.json'),
        JSON.stringify({ key, bytes, sample_rate: 44100, frames: 25 }),
      );
      await symlink(outside, join(dir, key));
      expect(await findCachedStems(dir, manifest)).toBeUndefined();
      expect(await createStemCache({ dir }).lookup(key)).toBeUndefined();
      expect((await readdir(outside)).sort()).toEqual(
        [...STEM_NAMES.map((s) => `${s}.wav`), 'meta.json'].sort(),
      );
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
