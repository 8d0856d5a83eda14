import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STEM_NAMES, readStemCacheEntry } from '@imk/protocol';
import { createStemCache, type StemCache } from './stem-cache.ts';

const ENGINE = { name: 'builtin', version: '1', params: {} };
const KEY = 'a'.repeat(64);
const ALIAS = 'b'.repeat(64);
let dir: string;
let cache: StemCache;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-stem-cache-'));
  cache = createStemCache({ dir });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** An entry stored as the worker stores one (the stems' bytes do not matter to the cache). */
async function storeEntry(): Promise<void> {
  const work = await cache.workDir(KEY);
  const stems = Object.fromEntries(STEM_NAMES.map((stem) => [stem, join(work, `${stem}.wav`)]));
  for (const stem of STEM_NAMES) await writeFile(stems[stem]!, `${stem} samples`);
  await cache.store(
    KEY,
    { inputSha256: '1'.repeat(64), engine: ENGINE },
    { stems: stems as never, sampleRate: 44100, frames: 10 },
    work,
    {
      decodeErrors: ['damaged packet in /claimed/song.m4a'],
      inputPath: '/claimed/song.m4a',
      audioSha256: 'f'.repeat(64),
    },
  );
}

describe('the stem cache: one entry under a second key', () => {
  it('is the same stems (hard links, no second copy), with its own input and its own decode errors', async () => {
    await storeEntry();
    const input = { inputSha256: '2'.repeat(64), engine: ENGINE };
    expect(await cache.alias(KEY, ALIAS, input, { decodeErrors: [], inputPath: '/claimed/clip.mp4' })).toBe(
      'kept',
    );
    const first = await readStemCacheEntry(dir, KEY);
    const second = await readStemCacheEntry(dir, ALIAS);
    expect(first.ok && second.ok).toBe(true);
    if (!first.ok || !second.ok) return;
    for (const stem of STEM_NAMES)
      expect((await stat(second.stems[stem])).ino).toBe((await stat(first.stems[stem])).ino);
    const meta = JSON.parse(await readFile(join(dir, ALIAS, 'meta.json'), 'utf8')) as Record<string, unknown>;
    expect(meta).toMatchObject({
      key: ALIAS,
      input_sha256: '2'.repeat(64),
      decode_errors: [],
      audio_sha256: 'f'.repeat(64),
    });
    expect((await cache.lookup(ALIAS))?.decodeErrors).toEqual([]);
    expect((await cache.lookup(KEY))?.decodeErrors).toEqual(['damaged packet in <input>']);
  });

  it('is not made of an entry that is not there', async () => {
    expect(await cache.alias(KEY, ALIAS, { inputSha256: '2'.repeat(64), engine: ENGINE })).toBe('gone');
    expect((await readStemCacheEntry(dir, ALIAS)).ok).toBe(false);
  });
});

describe('the stem cache: one run at a time for one key', () => {
  it('makes a second job wait for the first, told which job it waits for, then run', async () => {
    const order: string[] = [];
    let finish = (): void => undefined;
    const first = cache.exclusive(KEY, 'job1', new AbortController().signal, async () => {
      order.push('first starts');
      await new Promise<void>((resolve) => (finish = resolve));
      order.push('first ends');
    });
    const waitedFor: string[] = [];
    const second = cache.exclusive(
      KEY,
      'job2',
      new AbortController().signal,
      () => Promise.resolve(order.push('second runs')),
      (holder) => waitedFor.push(holder),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(order).toEqual(['first starts']);
    finish();
    await Promise.all([first, second]);
    expect(order).toEqual(['first starts', 'first ends', 'second runs']);
    expect(waitedFor).toEqual(['job1']);
  });

  it('lets the second run when the first fails', async () => {
    const first = cache.exclusive(KEY, 'job1', new AbortController().signal, () =>
      Promise.reject(new Error('engine failed')),
    );
    const second = cache.exclusive(KEY, 'job2', new AbortController().signal, () => Promise.resolve('ran'));
    await expect(first).rejects.toThrow('engine failed');
    await expect(second).resolves.toBe('ran');
  });

  it('stops waiting with ABORTED when the waiting job is stopped (cancelled, shut down)', async () => {
    let finish = (): void => undefined;
    const first = cache.exclusive(
      KEY,
      'job1',
      new AbortController().signal,
      () => new Promise<void>((resolve) => (finish = resolve)),
    );
    const stop = new AbortController();
    const second = cache.exclusive(KEY, 'job2', stop.signal, () => Promise.resolve('ran'));
    stop.abort();
    await expect(second).rejects.toMatchObject({ code: 'ABORTED' });
    finish();
    await first;
  });
});
