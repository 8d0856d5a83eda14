import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  isBeingReplaced,
  partialDirName,
  readJobOutput,
  readOutputManifest,
  readThroughReplace,
  type ReadOutputResult,
} from '../src/index.ts';
import { minimalManifest } from './testing.ts';

// A worker replacing outputs/<job_id>/ (a re-run, a saved mix) moves it aside, then renames its partial
// folder (manifest.json inside) into its place: for that moment the job's folder is not there, and a reader
// of the job said it had no outputs. readJobOutput reads across that moment, and only that one.
let outputs: string;
beforeEach(async () => {
  outputs = await mkdtemp(join(tmpdir(), 'imk-replace-'));
});
afterEach(async () => {
  await rm(outputs, { recursive: true, force: true });
});

const manifest = (jobId: string, title: string) => JSON.stringify(minimalManifest(jobId, { title }));

/** A partial folder of `jobId`, with its manifest.json when `finished` (the last thing written in it). */
async function partial(jobId: string, finished: boolean): Promise<string> {
  const dir = join(outputs, partialDirName(jobId, 'host-1'));
  await mkdir(join(dir, 'files'), { recursive: true });
  if (finished) await writeFile(join(dir, 'manifest.json'), manifest(jobId, 'New'));
  return dir;
}

describe('readJobOutput', () => {
  it('reads the new outputs once they are in place, not "none" between the two renames', async () => {
    const dir = await partial('song_1', true);
    expect(await isBeingReplaced(outputs, 'song_1')).toBe(true);
    const read = readJobOutput(outputs, 'song_1', { maxWaitMs: 10_000 });
    await sleep(150);
    await rename(dir, join(outputs, 'song_1'));
    const result = await read;
    expect(result?.ok ? result.manifest.title : result).toBe('New');
    expect(await isBeingReplaced(outputs, 'song_1')).toBe(false);
  });

  it('reads the new outputs whichever of its looks the second rename comes between', async () => {
    let missed = 0;
    for (let i = 0; i < 200; i++) {
      const id = `song_many_${i}`;
      const dir = await partial(id, true);
      const read = readJobOutput(outputs, id, { maxWaitMs: 10_000 });
      // After 0 to 9 turns of the event loop: at a different step of the reader's looks each time.
      for (let turn = 0; turn < i % 10; turn++) await new Promise((resolve) => setImmediate(resolve));
      await rename(dir, join(outputs, id));
      if ((await read)?.ok !== true) missed++;
    }
    expect(missed).toBe(0);
  });

  it('reads across a next replace that starts just as the folder is back (outputs published again at once)', async () => {
    // The reads, scripted: each finds nothing, and between them the worker's renames come as a worker
    // publishing twice in a row makes them. The reader used to take its one read after "back" as the answer.
    const job = join(outputs, 'song_6');
    const steps: (() => Promise<ReadOutputResult | undefined>)[] = [
      // Between the renames of the first publish: being replaced.
      () => Promise.resolve(undefined),
      async () => {
        await rename(await partial('song_6', true), job); // the first publish's second rename: back
        return undefined;
      },
      async () => {
        await rename(job, join(outputs, 'replaced-1')); // the next publish's first rename: gone again
        await partial('song_6', true);
        return undefined;
      },
      async () => {
        await rename(await partial('song_6', true), job); // the next publish's second rename
        return readOutputManifest(job);
      },
    ];
    await partial('song_6', true);
    let reads = 0;
    const result = await readThroughReplace(outputs, 'song_6', () => steps[reads++]!(), {
      maxWaitMs: 10_000,
    });
    expect(result?.ok ? result.manifest.title : result).toBe('New');
    expect(reads).toBe(4);
  });

  it('does not wait for a job still being made (no manifest in its partial folder) nor one never made', async () => {
    await partial('song_2', false);
    for (const id of ['song_2', 'song_3']) {
      const started = Date.now();
      expect(await readJobOutput(outputs, id, { maxWaitMs: 10_000 }), id).toBeUndefined();
      expect(Date.now() - started, id).toBeLessThan(2000);
    }
  });

  it('gives up after the wait when the worker stopped between the renames', async () => {
    await partial('song_4', true);
    const started = Date.now();
    expect(await readJobOutput(outputs, 'song_4', { maxWaitMs: 200 })).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });

  it('reads a folder that is there as readOutputManifest does, partial folder or not', async () => {
    await mkdir(join(outputs, 'song_5'));
    await writeFile(join(outputs, 'song_5', 'manifest.json'), manifest('song_5', 'Old'));
    await partial('song_5', true);
    const result = await readJobOutput(outputs, 'song_5');
    expect(result?.ok ? result.manifest.title : result).toBe('Old');
  });
});
