import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '@imk/fs-safe';
import {
  PROCESS_COUNTING_ENGINE,
  engineCalls,
  imk,
  makeRoot,
  makeSong,
  publishLegacy,
  publishV1,
  readManifest,
  removeRoot,
} from './helpers.ts';

// The manifest's input.bytes was a stat of the input's name taken when the manifest was written, long after
// the file was hashed and decoded: a producer still writing into the claimed bundle that swapped a folder on
// the input's path for a link in between had the manifest pair the song's sha256 with the size of another
// file of this host (a stat follows links). Now the size is of the file hashed, read through one descriptor
// (or, for a v1 bundle, the size declared with the hash and verified with it on claim). The swap is made by
// the test engine when it is called (after the hash and the decode; before the manifest). Real `imk run`.
let root: string;
let log = '';
let summary: Record<string, unknown> = {};

beforeAll(async () => {
  root = await makeRoot((dir) => ({
    pollMs: 100,
    variants: ['instrumental'],
    retry: { maxAttempts: 1 },
    stemCache: { enabled: false },
    engine: {
      name: 'counting',
      module: PROCESS_COUNTING_ENGINE,
      params: {
        counterFile: engineCalls(dir),
        swapAtSeparate: { queues: join(dir, 'queues'), folders: ['a'], to: join(dir, 'elsewhere') },
      },
    },
  }));
  // The song elsewhere is longer: another size, another hash.
  await mkdir(join(root, 'elsewhere', 'a'), { recursive: true });
  await makeSong(join(root, 'elsewhere', 'a', 'song.m4a'), 4, 5);
  await makeSong(join(root, 'song.m4a'), 2, 1);
  const job = (id: string) => ({
    job_id: id,
    source_type: 'local',
    artist: 'A',
    title: id,
    audio_path: 'a/song.m4a',
  });
  // Sizes and hash declared (files[]), and none declared (the worker hashes the input itself).
  await publishV1(root, 'other', job('declared'), { 'a/song.m4a': join(root, 'song.m4a') });
  await mkdir(join(root, 'queues', 'other', 'job_hashed.tmp', 'a'), { recursive: true });
  await publishLegacy(root, 'other', job('hashed'), { 'a/song.m4a': join(root, 'song.m4a') });
  const result = await imk(['run', '--once', '--root', root]);
  summary = JSON.parse(String(result.stdout || '{}')) as Record<string, unknown>;
  log = String(result.all);
}, 300_000);
afterAll(() => removeRoot(root));

describe("the input's size in the manifest when a folder on its path became a link after the hash", () => {
  it('is the size of the file hashed, with its sha256, never the other file named now', async () => {
    expect(summary, log).toMatchObject({ succeeded: 2 });
    const song = {
      sha256: await sha256File(join(root, 'song.m4a')),
      bytes: (await stat(join(root, 'song.m4a'))).size,
    };
    const other = (await stat(join(root, 'elsewhere', 'a', 'song.m4a'))).size;
    expect(other).not.toBe(song.bytes);
    // The engine did swap both bundles' folder (else the test proves nothing).
    expect((await readFile(engineCalls(root), 'utf8')).trim().split('\n')).toHaveLength(2);
    for (const id of ['declared', 'hashed']) {
      const { input } = await readManifest(root, id);
      expect(input, id).toMatchObject({ path: 'a/song.m4a', ...song });
    }
  });
});
