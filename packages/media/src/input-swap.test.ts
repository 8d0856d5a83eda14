import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorMessage, isRetryableError } from '@imk/errors';
import { raceTries, startSwapper, type Swapper } from '@imk/fs-safe/testing';
import { makeTempDir, sineFile } from '../test/helpers.ts';
// Through the package's entry, as its users import it: that registers its error catalogue (the policy).
import { measureSamplePeak, probeMedia, readAudio } from './index.ts';

// ffprobe and ffmpeg opened their input by name after our checks, so a song swapped for a link to another
// file of this host in that moment was read in its place: probed, decoded, measured (and published as this
// job's audio). They now read the descriptor opened and checked (a regular file, no link) before the run.
// A real swapper races real ffprobe and ffmpeg runs; the "secret" is another audio file, told apart by its
// length, rate and loudness.
let dir: string;
let cleanup: () => Promise<void>;
let swapper: Swapper | undefined;
const SONG_PEAK = 0.1;

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  const folder = join(dir, 'bundle');
  await mkdir(folder);
  // The song is an .m4a: mov needs to seek in its input, which a pipe could not give.
  await sineFile(join(folder, 'original.m4a'), { seconds: 1, amplitude: SONG_PEAK, codec: ['-c:a', 'aac'] });
  await sineFile(join(dir, 'secret.wav'), { seconds: 3, rate: 48000, amplitude: 0.9 });
  // Racing from the first read on.
  swapper = await startSwapper({
    folder,
    name: 'song.m4a',
    original: 'original.m4a',
    other: join(dir, 'secret.wav'),
  });
});
afterAll(async () => {
  await swapper?.stop();
  await cleanup();
});

/**
 * Runs `read` against the swapped name at least `times` times, and on (up to `most` times) until `enough`
 * says both outcomes were seen: each answer is the song's, or a refusal naming it.
 */
async function race<T>(
  times: number,
  read: (file: string) => Promise<T>,
  isSong: (value: T) => boolean,
  enough: (counts: { read: number; refused: number }) => boolean,
  most = times * 10,
): Promise<{ read: number; refused: number }> {
  const file = join(dir, 'bundle', 'song.m4a');
  return raceTries(['read', 'refused'], { least: times, most, enough }, async () => {
    let value: T;
    try {
      value = await read(file);
    } catch (error) {
      // Refused: says which file and that it is a link, and is not retried as if it could pass next time.
      expect(errorMessage(error)).toContain(file);
      expect(errorMessage(error)).toMatch(/symbolic link|replaced/);
      expect(isRetryableError(error)).toBe(false);
      return 'refused';
    }
    expect(isSong(value), `read something else in place of ${file}: ${JSON.stringify(value)}`).toBe(true);
    return 'read';
  });
}

describe('an input swapped for a link to another file while ffprobe and ffmpeg run', () => {
  it('ffprobe never describes the other file', async () => {
    // Its size too (MediaInfo.size_bytes, which the inbox records): it was a stat of the name, following the
    // link, so a probe of the song could say the other file's size.
    const songBytes = (await stat(join(dir, 'bundle', 'original.m4a'))).size;
    const counts = await race(
      30,
      (file) => probeMedia(file),
      (info) =>
        info.audio?.sample_rate === 44100 &&
        Math.abs((info.duration_sec ?? 0) - 1) < 0.1 &&
        info.size_bytes === songBytes,
      (counts) => counts.read > 0 && counts.refused > 0,
    );
    expect(counts.read).toBeGreaterThan(0);
    expect(counts.refused).toBeGreaterThan(0);
  }, 120_000);

  it('ffmpeg never decodes or measures the other file', async () => {
    const info = await probeMedia(join(dir, 'bundle', 'original.m4a'));
    // Each run on its own: a try counts as read when its one open found the song.
    const decoded = await race(
      12,
      // Given the probe's answer, as the worker does: the run's own open is all that stands.
      async (file) => (await readAudio(file, { info })).frames,
      (frames) => Math.abs(frames - 44100) < 2048,
      (counts) => counts.read > 0,
      60,
    );
    expect(decoded.read).toBeGreaterThan(0);
    const measured = await race(
      12,
      (file) => measureSamplePeak(file),
      (peak) => peak < SONG_PEAK * 1.5,
      (counts) => counts.read > 0,
      60,
    );
    expect(measured.read).toBeGreaterThan(0);
  }, 240_000);
});
