import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWavFile } from '@imk/media';
import { STEM_NAMES } from '@imk/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCorpus } from '../src/corpus/corpus.ts';
import { CORPUS_ITEMS } from '../src/corpus/items.ts';

/** Every file under `root` with its inode and modification time: what a rewrite would change. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const names = (await readdir(root, { recursive: true })).sort();
  const out: Record<string, string> = {};
  for (const name of names) {
    const info = await stat(join(root, name));
    out[name] = `${info.ino}:${info.mtimeMs}`;
  }
  return out;
}

describe('synthetic corpus', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imk-corpus-test-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('is deterministic, its stems sum exactly to the mixture, and the voice is centred', async () => {
    // One sung and one spoken (espeak-ng) item, generated in two separate caches.
    const items = CORPUS_ITEMS.slice(0, 2);
    const [a, b] = await Promise.all([
      ensureCorpus({ cacheDir: join(dir, 'a'), items }),
      ensureCorpus({ cacheDir: join(dir, 'b'), items }),
    ]);
    for (const [n, item] of a.entries()) {
      const twin = b[n]!;
      // Buffer.equals: vitest's deep equality is far too slow on megabytes.
      expect((await readFile(item.mixture)).equals(await readFile(twin.mixture))).toBe(true);
      expect(item.frames).toBe(Math.round(item.spec.seconds * 44100));
      const mixture = (await readWavFile(item.mixture)).channels;
      const stems = await Promise.all(
        STEM_NAMES.map(async (stem) => (await readWavFile(item.stems[stem])).channels),
      );
      let mismatches = 0;
      for (let c = 0; c < 2; c++)
        for (let i = 0; i < item.frames; i++)
          if (mixture[c]![i] !== Math.fround(stems.reduce((s, stem) => s + stem[c]![i]!, 0))) mismatches++;
      expect(mismatches).toBe(0);
      const vocals = stems[0]!;
      expect(Buffer.from(vocals[0]!.buffer).equals(Buffer.from(vocals[1]!.buffer))).toBe(true);
      expect(vocals[0]!.some((v) => v !== 0)).toBe(true);
    }
  });

  it('reuses cached items instead of generating them again', async () => {
    const items = CORPUS_ITEMS.slice(0, 1);
    const first = await ensureCorpus({ cacheDir: join(dir, 'a'), items });
    const before = await snapshot(join(dir, 'a'));
    const again = await ensureCorpus({ cacheDir: join(dir, 'a'), items });
    expect(again[0]!.mixture).toBe(first[0]!.mixture);
    // Not generated again: every file of the cache is the one the first call wrote (same inode, same
    // modification time), whatever time the call took on a loaded machine.
    expect(await snapshot(join(dir, 'a'))).toEqual(before);
  });
});
