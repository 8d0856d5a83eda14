import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readOutputManifest, type ReadOutputResult } from '../src/index.ts';
import { minimalManifest } from './testing.ts';

// manifest.json, or the whole job folder, is replaced by a rename while a reader reads it (a worker
// publishing a job again, another host's sync): the reader's look at the file and its open can then find
// two different files. That is a file replaced as it should be, not a fault of the job: the reader says the
// earlier manifest or the new one, never "manifest.json was replaced while it was being opened" (the mixer
// said so, and a job page showed the job as broken, for a moment after every saved mix).
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-manifest-swap-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const manifest = (title: string) => JSON.stringify(minimalManifest('swapped_1', { title }));

/**
 * Readers of `dir` while `swap(i)` runs `times` times, a millisecond apart (a publish every millisecond: far
 * more often than any worker publishes one job); what they found that was not a manifest.
 */
async function readWhile(dir: string, times: number, swap: (i: number) => Promise<void>) {
  let swapping = true;
  const wrong: string[] = [];
  let reads = 0;
  const reader = async () => {
    while (swapping) {
      const found: ReadOutputResult | undefined = await readOutputManifest(dir);
      reads++;
      if (found?.ok === false) wrong.push(found.problems.map((p) => p.message).join('; '));
    }
  };
  const readers = [reader(), reader()];
  for (let i = 0; i < times; i++) {
    await swap(i);
    await sleep(1);
  }
  swapping = false;
  await Promise.all(readers);
  return { wrong, reads };
}

describe('readOutputManifest of a manifest replaced while it is read', () => {
  it('a manifest.json renamed over: the earlier or the new one, never an error', async () => {
    const dir = join(root, 'swapped_1');
    await mkdir(dir);
    await writeFile(join(dir, 'manifest.json'), manifest('take 0'));
    const { wrong, reads } = await readWhile(dir, 1000, async (i) => {
      await writeFile(join(dir, '.manifest.json.tmp'), manifest(`take ${i + 1}`));
      await rename(join(dir, '.manifest.json.tmp'), join(dir, 'manifest.json'));
    });
    expect(reads).toBeGreaterThan(100);
    expect(wrong).toEqual([]);
  }, 60_000);

  it('the job folder moved aside and another renamed into its place: the earlier or the new one', async () => {
    const dir = join(root, 'swapped_1');
    await mkdir(dir);
    await writeFile(join(dir, 'manifest.json'), manifest('take 0'));
    const { wrong, reads } = await readWhile(dir, 1000, async (i) => {
      const next = join(root, `.next-${i}`);
      await mkdir(next);
      await writeFile(join(next, 'manifest.json'), manifest(`take ${i + 1}`));
      await rename(dir, join(root, `.replaced-${i}`));
      await rename(next, dir);
    });
    expect(reads).toBeGreaterThan(100);
    expect(wrong).toEqual([]);
  }, 60_000);
});
