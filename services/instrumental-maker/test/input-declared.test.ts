import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '@imk/fs-safe';
import {
  PROCESS_COUNTING_ENGINE,
  engineCalls,
  imk,
  jobDetail,
  makeRoot,
  makeSong,
  readManifest,
  removeRoot,
} from './helpers.ts';

// A bundle's job.json declares each file's sha256 and size (files[]); the claim checks them on a read of its
// own, and the job opens the song again when it starts (a later song of an album when the one before is
// done). A song replaced or damaged in the claimed bundle after that check was separated and published as
// the song without a word: its manifest recorded the other file's hash. The hash the job takes of the
// song it opened (the descriptor it separates) is now checked against the declaration: the job fails with
// INPUT_CHANGED, naming the song, the file and both hashes, and the bundle is kept in failed/. Here the test
// engine renames another song over the album's second song while it separates the first. Real `imk run`.
let root: string;
let result: { summary: Record<string, unknown>; log: string };
const declared: Record<string, string> = {};

beforeAll(async () => {
  root = await makeRoot((dir) => ({
    pollMs: 100,
    variants: ['instrumental'],
    retry: { maxAttempts: 3 },
    stemCache: { enabled: false },
    engine: {
      name: 'counting',
      module: PROCESS_COUNTING_ENGINE,
      params: {
        counterFile: engineCalls(dir),
        renameAtSeparate: { queues: join(dir, 'queues'), renames: { 'other.m4a': 'files/02 Second.m4a' } },
      },
    },
  }));
  const dir = join(root, 'queues', 'other', 'job_album');
  await mkdir(join(dir, 'files'), { recursive: true });
  await makeSong(join(dir, 'files', '01 First.m4a'), 2, 1);
  await makeSong(join(dir, 'files', '02 Second.m4a'), 2, 2);
  // Another song, 4 s long, in the bundle: renamed over the second song when the first is separated.
  await makeSong(join(dir, 'other.m4a'), 4, 3);
  const files = [];
  for (const path of ['files/01 First.m4a', 'files/02 Second.m4a']) {
    declared[path] = await sha256File(join(dir, path));
    files.push({ path, sha256: declared[path], bytes: (await stat(join(dir, path))).size });
  }
  declared.other = await sha256File(join(dir, 'other.m4a'));
  await writeFile(
    join(dir, 'job.json'),
    JSON.stringify({
      job_id: 'album',
      source_type: 'deezer',
      artist: 'A',
      title: 'Album',
      audio_files: ['01 First.m4a', '02 Second.m4a'],
      files,
    }),
  );
  const run = await imk(['run', '--once', '--root', root]);
  result = {
    summary: JSON.parse(String(run.stdout || '{}')) as Record<string, unknown>,
    log: String(run.all),
  };
}, 240_000);

afterAll(() => removeRoot(root));

describe('a song of a claimed bundle replaced after the claim checked its declared hash', () => {
  it('is not made: the job fails at once, naming the song, the file and both hashes; the bundle is kept', async () => {
    // The engine did rename the other song over the second (else the test proves nothing).
    const failed = join(root, 'queues', 'other', 'failed');
    expect(await readdir(failed), result.log).toEqual(['job_album']);
    expect((await readdir(join(failed, 'job_album'))).includes('other.m4a')).toBe(false);
    expect(await sha256File(join(failed, 'job_album', 'files', '02 Second.m4a'))).toBe(declared.other);
    expect(result.summary, result.log).toMatchObject({ failed: 1 });
    // Not retried: the file will not turn back into the song by itself.
    const error = JSON.parse(await readFile(join(failed, 'job_album', 'imk-error.json'), 'utf8')) as {
      message: string;
      attempts?: number;
    };
    expect(error.message).toContain('job album, song 2 of 2');
    expect(error.message).toContain(
      `files/02 Second.m4a as opened to be separated has sha256 ${declared.other}`,
    );
    expect(error.message).toContain(`but job.json declares sha256 ${declared['files/02 Second.m4a']}`);
    expect(error.message).toContain('imk retry album');
    const detail = await jobDetail(root, 'album');
    expect(detail.job.attempts).toBe(1);
    // The second song's outputs were never published (before: made of the other song, its hash recorded).
    expect(await readdir(join(root, 'outputs'))).not.toContain('album-2');
    // The first song, made before, is what its job.json declares.
    expect((await readManifest(root, 'album')).input.sha256).toBe(declared['files/01 First.m4a']);
  });
});
