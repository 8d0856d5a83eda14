import { readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { isImkError, type ImkError } from '@imk/errors';
import { probeMedia } from './probe.ts';
import { decodeAudio } from './decode.ts';
import { ffmpeg, liveChildren, makeTempDir, pngFile, sineFile } from '../test/helpers.ts';

let dir = '';
let cleanup: () => Promise<void> = async () => {};
let wav = '';
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  wav = path.join(dir, 'tone.wav');
  await sineFile(wav, { seconds: 2 });
});
afterAll(() => cleanup());

describe('probeMedia', () => {
  it.each([
    ['m4a', ['-c:a', 'aac'], 'aac', 'mov,mp4,m4a,3gp,3g2,mj2'],
    ['mp3', ['-c:a', 'libmp3lame'], 'mp3', 'mp3'],
    ['flac', ['-c:a', 'flac'], 'flac', 'flac'],
    ['wav', ['-c:a', 'pcm_s16le'], 'pcm_s16le', 'wav'],
  ])('reads a %s file: codec, rate, channels, duration, tags', async (ext, codec, expectedCodec, format) => {
    const file = path.join(dir, `probe.${ext}`);
    await ffmpeg('-i', wav, ...codec, '-metadata', 'ARTIST=Someone', '-metadata', 'title=Song', file);
    const info = await probeMedia(file);
    expect(info.format).toBe(format);
    expect(info.audio).toMatchObject({
      type: 'audio',
      codec: expectedCodec,
      sample_rate: 44100,
      channels: 2,
    });
    expect(info.duration_sec).toBeGreaterThan(1.9);
    expect(info.duration_sec).toBeLessThan(2.1);
    expect(info.tags).toMatchObject({ artist: 'Someone', title: 'Song' });
    expect(info.video).toBeUndefined();
    expect(info.has_cover).toBe(false);
  });

  it('reads an mp4 with video: the picture stream and the sound', async () => {
    const file = path.join(dir, 'clip.mp4');
    await ffmpeg(
      '-f',
      'lavfi',
      '-i',
      'testsrc=s=320x240:d=2:r=10',
      '-i',
      wav,
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-c:a',
      'aac',
      '-shortest',
      file,
    );
    const info = await probeMedia(file);
    expect(info.video).toMatchObject({ codec: 'h264', width: 320, height: 240, is_cover: false });
    expect(info.audio).toMatchObject({ codec: 'aac', channels: 2 });
  });

  it('tells a cover picture from a video track', async () => {
    const cover = path.join(dir, 'cover.png');
    await pngFile(cover);
    const file = path.join(dir, 'covered.mp3');
    await ffmpeg(
      '-i',
      wav,
      '-i',
      cover,
      '-map',
      '0:a',
      '-map',
      '1:v',
      '-c:a',
      'libmp3lame',
      '-c:v',
      'copy',
      '-disposition:v:0',
      'attached_pic',
      file,
    );
    const info = await probeMedia(file);
    expect(info.has_cover).toBe(true);
    expect(info.video).toBeUndefined();
    expect(info.streams.find((s) => s.is_cover)).toMatchObject({ codec: 'png', width: 64 });
  });
});

describe('bad input gets a clear error naming the file', () => {
  const cases: [string, () => Promise<string>, string][] = [
    ['a missing file', () => Promise.resolve(path.join(dir, 'nope.mp3')), 'MEDIA_UNREADABLE'],
    ['a zero-length file', async () => writeAndReturn(path.join(dir, 'empty.m4a'), ''), 'MEDIA_EMPTY'],
    [
      'a text file',
      async () => writeAndReturn(path.join(dir, 'notes.txt'), 'just some words\n'.repeat(50)),
      'MEDIA_NO_AUDIO',
    ],
    [
      'a text file named .mp3',
      async () => writeAndReturn(path.join(dir, 'fake.mp3'), 'just some words\n'.repeat(50)),
      'MEDIA_UNREADABLE',
    ],
    ['a png', async () => pngAndReturn(path.join(dir, 'picture.png')), 'MEDIA_NO_AUDIO'],
    // Read by ffprobe as image2 (by its name): it was refused as "an image2 playlist or list of other files".
    [
      'an HTML error page saved as .jpg',
      async () => writeAndReturn(path.join(dir, 'cover.jpg'), '<html>404 Not Found</html>'),
      'MEDIA_NO_AUDIO',
    ],
    ['an m4a cut short (no moov)', async () => truncatedM4a(), 'MEDIA_UNREADABLE'],
    ['a WAV with a garbage header', async () => garbageHeaderWav(), 'MEDIA_UNREADABLE'],
    ['a WAV with no samples', async () => emptyWav(), 'MEDIA_EMPTY'],
  ];
  it.each(cases)('%s', async (_label, make, code) => {
    const file = await make();
    for (const attempt of [() => probeMedia(file), () => first(decodeAudio(file))]) {
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isImkError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
      expect((error as Error).message).toContain(file);
      expect((error as Error).message).not.toContain('playlist');
    }
  });
});

describe('a file ffprobe would read for minutes', () => {
  it('is refused once probeTimeoutSec has passed, with MEDIA_PROBE_TIMEOUT naming it, and ffprobe is stopped', async () => {
    // 20 GB of zeros named .mp3 (sparse: no disk used): ffprobe scans all of it for an MP3 frame.
    const file = path.join(dir, 'sparse.mp3');
    await writeFile(file, '');
    await truncate(file, 20 * 1024 ** 3);
    // Left to itself ffprobe reads this file for over a minute (61 s of it measured on an idle machine, and
    // a loaded one only makes that longer): a probe that waited for it would outlast this test's 20 s. So
    // the probe's answer (the timeout's own error) and no ffprobe left on the file prove it was stopped;
    // the test's clock around the call is not asserted on (a starved machine stretched it past 8 s).
    const error = await probeMedia(file, { timeoutMs: 500 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isImkError(error, 'MEDIA_PROBE_TIMEOUT'), `got ${String(error)}`).toBe(true);
    expect((error as ImkError).details).toMatchObject({ file, timeout_ms: 500 });
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toMatch(/still reading it after 0\.5 s.*probeTimeoutSec/);
    expect(await execa('pgrep', ['-f', file], { reject: false })).toMatchObject({ exitCode: 1 });
    // ffprobe is given the file through a descriptor (its command line names a link, not the file): look
    // for any ffprobe of ours still alive.
    expect(await liveChildren('ffprobe')).toEqual([]);
  }, 20_000);
});

async function first(blocks: AsyncGenerator<Float32Array[]>): Promise<void> {
  await blocks.next();
  await blocks.return(undefined);
}

async function writeAndReturn(file: string, text: string): Promise<string> {
  await writeFile(file, text);
  return file;
}

async function pngAndReturn(file: string): Promise<string> {
  await pngFile(file);
  return file;
}

async function truncatedM4a(): Promise<string> {
  const file = path.join(dir, 'cut.m4a');
  await ffmpeg('-i', wav, '-c:a', 'aac', file); // moov at the end: cutting the tail loses it
  const bytes = await readFile(file);
  await truncate(file, Math.floor(bytes.length / 2));
  return file;
}

async function garbageHeaderWav(): Promise<string> {
  const file = path.join(dir, 'garbage.wav');
  const bytes = await readFile(wav);
  for (let i = 0; i < 64; i++) bytes[i] = (i * 37 + 11) & 0xff;
  await writeFile(file, bytes);
  return file;
}

async function emptyWav(): Promise<string> {
  const file = path.join(dir, 'nosamples.wav');
  await ffmpeg('-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=stereo', '-t', '0', file);
  return file;
}
