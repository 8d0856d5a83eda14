import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImkError } from '@imk/errors';
import {
  folderNames,
  imk,
  makeRoot,
  makeSong,
  publishLegacy,
  publishV1,
  readManifest,
  removeRoot,
} from './helpers.ts';

// One job id in two queues (two retrievers, or a bundle copied in by hand): both were taken, and the
// worker moved the first job's outputs/<job_id>/ aside for the second's. A job id names one job across
// every queue: the second publish is refused, and a bundle that got in anyway is rejected by the worker's
// claim, the first job's outputs untouched. Real `imk run` processes.
const ID = 'yt_abcdefghijk_audio';
let root: string;

beforeAll(async () => {
  root = await makeRoot({ pollMs: 100, variants: ['instrumental'], output: { format: 'wav' } });
  await makeSong(join(root, 'first.m4a'), 2, 1);
  await makeSong(join(root, 'second.m4a'), 2, 4);
  await publishV1(
    root,
    'youtube_audio',
    { job_id: ID, source_type: 'youtube', artist: 'A', title: 'First', audio_path: 'audio.m4a' },
    { 'audio.m4a': join(root, 'first.m4a') },
  );
  const run = await imk(['run', '--once', '--root', root]);
  expect(JSON.parse(String(run.stdout))).toMatchObject({ succeeded: 1 });
}, 120_000);
afterAll(() => removeRoot(root));

describe('the same job id in another queue', () => {
  it('is refused at publish, naming the queue and the job that hold the id', async () => {
    const error: unknown = await publishV1(
      root,
      'other',
      { job_id: ID, source_type: 'local', artist: 'B', title: 'Second', audio_path: 'audio.m4a' },
      { 'audio.m4a': join(root, 'second.m4a') },
    ).catch((e: unknown) => e);
    expect(isImkError(error, 'JOB_EXISTS')).toBe(true);
    expect((error as Error).message).toContain(`job ${ID} in queue youtube_audio`);
    expect(await folderNames(join(root, 'queues', 'other'))).not.toContain(`job_${ID}`);
  });

  it("copied in by hand, is rejected by the worker with the reason, the first job's outputs kept", async () => {
    const before = await readManifest(root, ID);
    await publishLegacy(
      root,
      'other',
      { job_id: ID, source_type: 'custom', artist: 'B', title: 'Second', audio_path: 'audio.m4a' },
      { 'audio.m4a': join(root, 'second.m4a') },
    );
    const run = await imk(['run', '--once', '--root', root]);
    expect(JSON.parse(String(run.stdout))).toMatchObject({ succeeded: 0, rejected: 1 });
    const after = await readManifest(root, ID);
    expect(after.title).toBe('First');
    expect(after.input.sha256).toBe(before.input.sha256);
    expect(await folderNames(join(root, 'outputs', '.replaced'))).toEqual([]);
    const rejected = join(root, 'queues', 'other', 'rejected');
    const [folder] = await readdir(rejected);
    const reason = await readFile(join(rejected, folder!, 'imk-rejection.json'), 'utf8');
    expect(reason).toContain('the job of that id in queue youtube_audio ran (succeeded)');
  });
});
