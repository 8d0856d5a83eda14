import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { outputNameError } from './output-name.ts';

// OUTPUT_NAME_REFUSED is said only when outputs/ itself refuses the job id as a folder name: on a disk that
// takes it (this one), an error that looks alike (ENOENT from a claim lost in a race) is kept as it is,
// retried by its own policy, not turned into a final "rename the bundle". (A share that refuses the id:
// test/windows-share-ids.test.ts.)
describe('outputNameError on a file system that takes the job id', async () => {
  const outputs = await mkdtemp(join(tmpdir(), 'imk-output-name-'));
  afterAll(() => rm(outputs, { recursive: true, force: true }));

  it.each(['Live: at Wembley?', 'Song.', 'CON'])(
    'keeps the error of %j as it is, leaving nothing behind',
    async (id) => {
      const error = Object.assign(new Error(`ENOENT: no such file or directory, mkdir '${id}'`), {
        code: 'ENOENT',
      });
      expect(await outputNameError(error, id, outputs)).toBe(error);
      expect(await readdir(outputs)).toEqual([]);
    },
  );
});
