import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRetryableError } from '@imk/errors';
import { makeTempDir, sineFile } from '../test/helpers.ts';
// Through the package's entry, as its users import it: that is what registers its error catalogue, which
// says whether an error is tried again (throw sites state no policy).
import { encodeAudio, measureLoudness, probeMedia, readAudio } from './index.ts';

describe('untrusted input', async () => {
  const { dir, cleanup } = await makeTempDir();
  afterAll(cleanup);
  // A real song outside the bundle, and "audio.m4a" files inside it that only point at it.
  const secret = path.join(dir, 'secret.m4a');
  await sineFile(secret, { seconds: 1, codec: ['-c:a', 'aac'] });
  const bundle = path.join(dir, 'bundle');
  await mkdir(bundle);
  const hls = path.join(bundle, 'audio.m4a');
  await writeFile(hls, `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:1.0,\n../secret.m4a\n#EXT-X-ENDLIST\n`);
  const hlsAbsolute = path.join(bundle, 'abs.m4a');
  await writeFile(
    hlsAbsolute,
    `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:1.0,\n${secret}\n#EXT-X-ENDLIST\n`,
  );
  const concat = path.join(bundle, 'list.m4a');
  await writeFile(concat, `ffconcat version 1.0\nfile '../secret.m4a'\n`);

  it.each([
    ['an HLS playlist', hls, /hls playlist or list of other files/],
    ['an HLS playlist with an absolute path', hlsAbsolute, /hls playlist/],
    ['an ffconcat list', concat, /concat playlist or list of other files/],
  ])('ffprobe refuses %s named audio.m4a instead of reading the file it names', async (_l, file, why) => {
    const error = await probeMedia(file).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MEDIA_REFUSED' });
    // Not tried again: the catalogue's policy for the code (throw sites state none).
    expect(isRetryableError(error)).toBe(false);
    expect(String(error)).toMatch(why);
    expect(String(error)).toContain(file);
  });

  it('decoding, encoding and measuring refuse it too (ffmpeg never reads the other file)', async () => {
    await expect(readAudio(hls)).rejects.toMatchObject({ code: 'MEDIA_REFUSED' });
    await expect(readAudio(concat)).rejects.toMatchObject({ code: 'MEDIA_REFUSED' });
    await expect(
      encodeAudio({ input: hls, output: path.join(dir, 'out.m4a'), format: 'm4a' }),
    ).rejects.toMatchObject({
      code: 'MEDIA_REFUSED',
    });
    await expect(measureLoudness(concat)).rejects.toMatchObject({ code: 'MEDIA_REFUSED' });
  });

  it('still reads the self-contained formats users give', async () => {
    for (const [name, codec] of [
      ['a.m4a', ['-c:a', 'aac']],
      ['a.mp3', ['-c:a', 'libmp3lame']],
      ['a.flac', ['-c:a', 'flac']],
      ['a.wav', []],
      ['a.ogg', ['-c:a', 'libvorbis']],
      ['a.opus', ['-c:a', 'libopus']],
      ['a.mka', ['-c:a', 'flac']],
      ['a.aiff', []],
    ] as const) {
      const file = path.join(dir, name);
      await sineFile(file, { seconds: 0.2, codec: [...codec] });
      expect((await probeMedia(file)).audio, name).toBeDefined();
    }
  });
});
