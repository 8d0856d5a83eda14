import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio } from './decode.ts';
import { probeMedia } from './probe.ts';
import { measureSamplePeak } from './clip-guard.ts';
import { readWavHeader } from './wav-header.ts';
import { ffmpeg } from '../test/helpers.ts';

// A song moved or deleted while a job used it (a folder renamed on the NAS, a file dragged out of the
// inbox) was reported as "it is corrupt or not a media format ffprobe knows (…: No such file or
// directory)", or as an ffmpeg failure. Every reader (ffprobe, decode, any ffmpeg run) now says it does
// not exist, and names the folder when a folder on the way is what went. Real ffprobe and ffmpeg; an
// ffprobe wrapper deletes the file just before ffprobe runs. Since the tools read the descriptor opened
// and checked before the run (untrusted-inputs.ts), a file deleted after that open is still read whole:
// the checked file is the one processed.
let dir: string;

async function failure(work: Promise<unknown>): Promise<Error> {
  try {
    await work;
  } catch (error) {
    return error as Error;
  }
  throw new Error('it succeeded');
}

async function decodeAll(file: string, info?: Awaited<ReturnType<typeof probeMedia>>): Promise<void> {
  for await (const _block of decodeAudio(file, info === undefined ? {} : { info })) {
    // read to the end
  }
}

const tone = async (file: string) => ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', file);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-missing-'));
  const wrapper = join(dir, 'ffprobe');
  // Deletes the files named vanish-*.wav in this folder just before ffprobe runs.
  await writeFile(wrapper, `#!/bin/sh\nrm -f '${dir}'/vanish-*.wav\nexec ffprobe "$@"\n`);
  await chmod(wrapper, 0o755);
  process.env.IMK_FFPROBE = wrapper;
});
afterAll(async () => {
  delete process.env.IMK_FFPROBE;
  await rm(dir, { recursive: true, force: true });
});

describe('a media file that is not there', () => {
  it('missing: ffprobe says it does not exist', async () => {
    const error = await failure(probeMedia(join(dir, 'never.wav')));
    expect(error.message).toBe(
      `cannot read media file ${join(dir, 'never.wav')}: it does not exist (moved or deleted?)`,
    );
  });

  it('a missing folder on the way is named', async () => {
    const file = join(dir, 'Artist', 'Album', 'song.wav');
    const error = await failure(probeMedia(file));
    expect(error.message).toContain(`it does not exist: the folder ${join(dir, 'Artist')} is not there`);
  });

  it('deleted by name after it was opened, before ffprobe runs: the file checked is read, not called corrupt', async () => {
    const file = join(dir, 'vanish-1.wav');
    await tone(file);
    const info = await probeMedia(file);
    expect(info.audio?.duration_sec).toBeCloseTo(1, 1);
  });

  it('gone after it was probed, before it was decoded', async () => {
    const sub = join(dir, 'inbox');
    await mkdir(sub);
    const file = join(sub, 'song.wav');
    await tone(file);
    const info = await probeMedia(file);
    await rm(sub, { recursive: true });
    const error = await failure(decodeAll(file, info));
    expect(error.message).toBe(
      `cannot read media file ${file}: it does not exist: the folder ${sub} is not there (moved or deleted?)`,
    );
    expect((error as Error & { code?: string }).code).toBe('MEDIA_UNREADABLE');
  });

  it('an ffmpeg run whose input went says so', async () => {
    const file = join(dir, 'gone.wav');
    const error = await failure(measureSamplePeak(file));
    expect(error.message).toBe(
      `ffmpeg failed measuring the peak of ${file}: ${file}: it does not exist (moved or deleted?)`,
    );
  });

  // The WAV reader (stems, variants, the decoded mixture) had its own words: "cannot open WAV file X".
  it('the WAV reader says it does not exist, and names a missing folder', async () => {
    const file = join(dir, 'stems.wav');
    expect((await failure(readWavHeader(file))).message).toBe(
      `cannot read WAV file ${file}: it does not exist (moved or deleted?)`,
    );
    const deep = join(dir, 'cache', 'key', 'vocals.wav');
    const error = await failure(readWavHeader(deep));
    expect(error.message).toBe(
      `cannot read WAV file ${deep}: it does not exist: the folder ${join(dir, 'cache')} is not there (moved or deleted?)`,
    );
    expect((error as Error & { code?: string }).code).toBe('MEDIA_UNREADABLE');
  });
});
