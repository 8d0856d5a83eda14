import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg } from '@imk/media/testing';
import { IMK } from './imk-bin.ts';

// A name that is a key of a map (a recipe of config/instrumental-maker.yaml, a variant made on the command
// line) and breaks the name rule was said as zod's "Invalid key in record", at the name's path: nothing
// said the name was the trouble, or what a name may be (config added "(found {…})", the recipe's value).
// Every reader of such maps now says 'the name "My_Mix" is refused: expected a name such as …'.
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-refused-names-'));
  await ffmpeg('-f', 'lavfi', '-i', 'sine=f=440:d=0.5', join(dir, 'x.wav'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const rule = 'expected a name such as "instrumental", "no_drums" or "no-vocals"';

describe('a name refused by the name rule', () => {
  it('imk separate --variants says which name and why', async () => {
    const result = await execa(
      process.execPath,
      [IMK, 'separate', join(dir, 'x.wav'), '--out', join(dir, 'out'), '--variants', 'My_Mix=drums'],
      { reject: false },
    );
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain(`--variants.My_Mix: the name "My_Mix" is refused: ${rule}`);
    expect(result.stderr).not.toContain('Invalid key in record');
  });

  it('a recipe of the config file says which name and why', async () => {
    const root = join(dir, 'root');
    await mkdir(join(root, 'config'), { recursive: true });
    await writeFile(
      join(root, 'config', 'instrumental-maker.yaml'),
      'recipes:\n  My_Mix: {stems: [drums]}\n',
    );
    const result = await execa(process.execPath, [IMK, 'run', '--once', '--root', root], { reject: false });
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain(`recipes.My_Mix: the name "My_Mix" is refused: ${rule}`);
    expect(result.stderr).not.toContain('Invalid key in record');
  });
});
