import { mkdir, rename } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openUntrusted } from '@imk/fs-safe';
import { makeTempDir, pngFile, sineFile } from '../test/helpers.ts';
// Through the package's entry, as its users import it.
import {
  encodeAudio,
  measureSamplePeak,
  probeMedia,
  readAudio,
  readWav,
  readWavHeader,
  type OpenedFolder,
} from './index.ts';

// A folder someone else writes (the worker's claimed bundle) whose files the caller opened once, passed
// as `within: { dir, opened }`: every reader reads those descriptors, never the names again, so files
// renamed over them since (a producer still writing the bundle) are never read. Each kind of reader is
// asked after the names were given to other files (told apart by length, level and picture size).
let dir: string;
let cleanup: () => Promise<void>;
let bundle: OpenedFolder;
const handles: FileHandle[] = [];
const song = (name: string) => join(dir, 'bundle', name);

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  await mkdir(join(dir, 'bundle'));
  // The files opened: 1 s at 0.1; a 64-px picture. The files renamed over them: 3 s at 0.9; 48 px.
  await sineFile(song('song.m4a'), { seconds: 1, amplitude: 0.1, codec: ['-c:a', 'aac'] });
  await sineFile(song('mixture.wav'), { seconds: 1, amplitude: 0.1, codec: ['-c:a', 'pcm_f32le'] });
  await pngFile(song('cover.png'), '64x64');
  await sineFile(song('other.m4a'), { seconds: 3, amplitude: 0.9, codec: ['-c:a', 'aac'] });
  await sineFile(song('other.wav'), { seconds: 3, amplitude: 0.9, codec: ['-c:a', 'pcm_f32le'] });
  await pngFile(song('other.png'), '48x48', 'green');
  const opened = new Map<string, FileHandle>();
  for (const name of ['song.m4a', 'mixture.wav', 'cover.png']) {
    const { handle } = await openUntrusted(song(name), { name, within: join(dir, 'bundle') });
    handles.push(handle);
    opened.set(song(name), handle);
  }
  bundle = { dir: join(dir, 'bundle'), opened };
  await rename(song('other.m4a'), song('song.m4a'));
  await rename(song('other.wav'), song('mixture.wav'));
  await rename(song('other.png'), song('cover.png'));
});
afterAll(async () => {
  for (const handle of handles) await handle.close();
  await cleanup();
});

describe('files a folder holds open (within: OpenedFolder)', () => {
  it('are probed, decoded and measured from their descriptors, not the files renamed over them', async () => {
    expect((await probeMedia(song('song.m4a'), { within: bundle })).duration_sec).toBeLessThan(1.5);
    expect((await readAudio(song('song.m4a'), { within: bundle })).frames).toBeLessThan(1.5 * 44100);
    expect(await measureSamplePeak(song('song.m4a'), { within: bundle })).toBeLessThan(0.2);
  });

  it('are read as WAV from their descriptors, which stay open for the next reader', async () => {
    expect((await readWavHeader(song('mixture.wav'), { within: bundle })).frames).toBe(44100);
    let frames = 0;
    for await (const block of readWav(song('mixture.wav'), { within: bundle })) frames += block[0]!.length;
    expect(frames).toBe(44100);
    // Not closed by the readers: the caller's.
    expect((await readWavHeader(song('mixture.wav'), { within: bundle })).frames).toBe(44100);
  });

  it('embed the cover opened, not the picture renamed over it', async () => {
    const output = join(dir, 'out.flac');
    await encodeAudio({
      input: song('mixture.wav'),
      output,
      format: 'flac',
      cover: song('cover.png'),
      within: bundle,
    });
    const info = await probeMedia(output);
    expect(info.duration_sec).toBeLessThan(1.5);
    expect(info.streams.find((s) => s.is_cover)?.width).toBe(64);
  });
});
