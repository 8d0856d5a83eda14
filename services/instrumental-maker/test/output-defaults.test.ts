import { resolvePaths } from '@imk/config';
import { afterEach, describe, expect, it } from 'vitest';
import { outputCheck } from '../src/doctor-checks.ts';
import { imk, makeRoot, removeRoot } from './helpers.ts';

// The config's own `output.format: mp3` with `output.sampleRate: 96000` (or flac with bitDepth 32) is a
// valid config, since a job may choose a format that takes the rate, but every job that does not fails in
// its options stage; the worker started without a word and `imk doctor` said nothing, so the first sign
// was a failed job. The worker now says it when it starts, and doctor warns, naming the keys.
let root: string | undefined;
afterEach(() => removeRoot(root));

const check = async (output: Record<string, unknown>) => {
  root = await makeRoot({ output });
  return outputCheck.run({ paths: resolvePaths(root), env: {} } as Parameters<typeof outputCheck.run>[0]);
};

describe("the config's output format with a rate or bit depth it cannot be written at", () => {
  it('is a doctor warning naming the keys, and what to do', async () => {
    expect(await check({ format: 'mp3', sampleRate: 96000 })).toMatchObject({
      status: 'warn',
      summary: expect.stringMatching(
        /^config\/instrumental-maker\.yaml: output\.format and output\.sampleRate: mp3 cannot be written at 96000 Hz: .*; every job that does not choose its own output_format fails$/,
      ) as unknown,
      fix: expect.stringContaining('output.sampleRate') as unknown,
    });
    await removeRoot(root);
    expect(await check({ format: 'flac', bitDepth: 32 })).toMatchObject({
      status: 'warn',
      summary: expect.stringMatching(
        /output\.format and output\.bitDepth: flac cannot hold 32-bit samples/,
      ) as unknown,
    });
    await removeRoot(root);
    expect(await check({ format: 'm4a', sampleRate: 96000 })).toMatchObject({ status: 'ok' });
  });

  it('is said by the worker when it starts', async () => {
    root = await makeRoot({ output: { format: 'mp3', sampleRate: 96000 } });
    const result = await imk(['run', '--once', '--root', root]);
    expect(result.exitCode, String(result.all)).toBe(0);
    expect(String(result.all)).toMatch(
      /output\.format and output\.sampleRate: mp3 cannot be written at 96000 Hz.*every job that does not choose its own output_format fails/,
    );
  });
});
