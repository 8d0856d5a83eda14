import { mkdir, rename, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudio } from './decode.ts';
import { probeMedia } from './probe.ts';
import { makeTempDir, sineFile } from '../test/helpers.ts';

// A bundle's song at sub/song.wav was checked (resolveInside: every component inside the bundle) when the
// job was claimed; then the folder `sub` was swapped for a link to a folder elsewhere on this host holding
// a song.wav of its own. The open checked only the last component (a regular file, not a link), so ffprobe
// and ffmpeg read the outside file: probed, decoded, separated and published as this job's audio. Given
// the bundle folder (`within`), the opened descriptor is checked to be inside it, and the swap refused.
let dir: string;
let cleanup: () => Promise<void>;
let bundle: string;
let song: string;
let checked: Awaited<ReturnType<typeof probeMedia>>;

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  bundle = join(dir, 'bundle');
  await mkdir(join(bundle, 'sub'), { recursive: true });
  await sineFile(join(bundle, 'sub', 'song.wav'), { seconds: 1 });
  // Elsewhere: a 3 s, 48 kHz "secret" at the same relative name.
  await mkdir(join(dir, 'elsewhere'));
  await sineFile(join(dir, 'elsewhere', 'song.wav'), { seconds: 3, rate: 48000 });
  song = join(bundle, 'sub', 'song.wav');
  checked = await probeMedia(song, { within: bundle });
  expect(checked.audio?.sample_rate).toBe(44100);
  // The swap, after the claim's check: `sub` is now a link to the folder elsewhere.
  await rename(join(bundle, 'sub'), join(dir, 'checked-sub'));
  await symlink(join(dir, 'elsewhere'), join(bundle, 'sub'));
});
afterAll(() => cleanup());

describe('a folder on the input path swapped for a link after the check', () => {
  it('is refused by probeMedia given the bundle folder, naming the file', async () => {
    await expect(probeMedia(song, { within: bundle })).rejects.toMatchObject({
      code: 'MEDIA_UNREADABLE',
      message: expect.stringMatching(/song\.wav.*moved out of/),
    });
  });

  it('is refused by readAudio (decode) given the bundle folder, and the outside file is not read', async () => {
    await expect(readAudio(song, { within: bundle })).rejects.toThrow(/moved out of/);
    // With the probe's facts from before the swap (as the worker passes them), decoding opens it itself.
    await expect(readAudio(song, { within: bundle, info: checked })).rejects.toThrow(/moved out of/);
  });

  it('is still read by name where no folder is given (a file the user named: theirs to link)', async () => {
    expect((await probeMedia(song)).audio?.sample_rate).toBe(48000);
  });
});
