import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImkError, isRetryableError } from '@imk/errors';
import { decodeAudio } from './decode.ts';
import './errors.ts';
import { ffmpeg, writeUndecodableWav } from '../test/helpers.ts';

// ffmpeg through a wrapper (IMK_FFMPEG) that runs the real one, or kills itself with SIGKILL while
// decoding when IMK_TEST_KILL_DECODE is set: what the OOM killer does to a decode.
let dir: string;
let oddWav: string;
let song: string;

async function failure(file: string): Promise<unknown> {
  try {
    for await (const _block of decodeAudio(file)) {
      // read to the end
    }
  } catch (error) {
    return error;
  }
  throw new Error(`${file} decoded`);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-decode-failures-'));
  oddWav = join(dir, 'odd.wav');
  await writeUndecodableWav(oddWav);
  song = join(dir, 'tone.wav');
  await ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', song);
  const wrapper = join(dir, 'ffmpeg');
  await writeFile(
    wrapper,
    '#!/bin/sh\ncase "$*" in *pipe:1*) [ -n "$IMK_TEST_KILL_DECODE" ] && kill -9 $$ ;; esac\nexec ffmpeg "$@"\n',
  );
  await chmod(wrapper, 0o755);
  process.env.IMK_FFMPEG = wrapper;
});

afterAll(async () => {
  delete process.env.IMK_FFMPEG;
  delete process.env.IMK_TEST_KILL_DECODE;
  await rm(dir, { recursive: true, force: true });
});

describe('MEDIA_DECODE_FAILED', () => {
  it('is permanent when ffmpeg cannot decode the file: the same bytes fail the same way again', async () => {
    const error = await failure(oddWav);
    expect(isImkError(error, 'MEDIA_DECODE_FAILED')).toBe(true);
    expect(String(error)).toContain(oddWav);
    expect(isRetryableError(error)).toBe(false);
  });

  it('is retryable when ffmpeg was killed while decoding a good file (the OOM killer, a person)', async () => {
    process.env.IMK_TEST_KILL_DECODE = '1';
    try {
      const error = await failure(song);
      // Not the file's code: a killed ffmpeg is FFMPEG_FAILED, whose catalogue policy is "try again".
      expect(isImkError(error, 'FFMPEG_FAILED')).toBe(true);
      expect(String(error)).toMatch(/killed \(SIGKILL\)/);
      expect(isRetryableError(error)).toBe(true);
    } finally {
      delete process.env.IMK_TEST_KILL_DECODE;
    }
    // And the same file decodes on the next attempt.
    let frames = 0;
    for await (const block of decodeAudio(song)) frames += block[0]!.length;
    expect(frames).toBeGreaterThan(40_000);
  });
});
