import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImkError } from '@imk/errors';
import { withTempOutput } from './temp-output.ts';

describe('withTempOutput', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imk-temp-output-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('replaces by default', async () => {
    const output = join(dir, 'a.wav');
    await writeFile(output, 'old');
    await withTempOutput(output, (temp) => writeFile(temp, 'new'));
    expect(await readFile(output, 'utf8')).toBe('new');
  });

  it('with replace: false keeps a file that appeared while producing, names it, and leaves no temp file', async () => {
    const output = join(dir, 'b.wav');
    const error = await withTempOutput(
      output,
      async (temp) => {
        await writeFile(temp, 'new');
        await writeFile(output, "the user's"); // someone else's file lands first
      },
      { replace: false },
    ).catch((e: unknown) => e);
    expect(isImkError(error, 'OUTPUT_EXISTS')).toBe(true);
    expect((error as Error).message).toContain(output);
    expect(await readFile(output, 'utf8')).toBe("the user's");
    expect((await readdir(dir)).filter((f) => f.includes('tmp'))).toEqual([]);
  });

  it('with replace: false writes where nothing is', async () => {
    const output = join(dir, 'c.wav');
    await withTempOutput(output, (temp) => writeFile(temp, 'new'), { replace: false });
    expect(await readFile(output, 'utf8')).toBe('new');
  });
});
