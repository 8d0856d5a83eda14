import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listMdxModelFiles } from '../src/mdx/models-folder.ts';

// `imk models` and `imk doctor` list the models folder: a folder that is not there has no models, and so has
// one whose path runs through a file (models/ written as a file, the folder below it configured); before,
// the second was a raw "ENOTDIR: not a directory, realpath …" that stopped the whole listing.
describe('listMdxModelFiles on a folder that is not there', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'imk-models-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'models'), 'a file, not the models folder');

  it.each([
    ['missing', join(dir, 'nothing', 'mdx')],
    ['below a file', join(dir, 'models', 'mdx')],
  ])('%s: no models', async (_what, folder) => {
    expect(await listMdxModelFiles(folder)).toEqual([]);
  });
});
