import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorMessage, isImkError } from '@imk/errors';
import { raceTries, startSwapper, type Swapper } from '@imk/fs-safe/testing';
import { makeTempDir } from '../test/helpers.ts';
import { buildFloatWavHeader } from './wav-header.ts';
import { readWav, readWavFile } from './wav-reader.ts';

// readWav opened the file twice, once for its header and once for its samples: a name swapped for another
// WAV in between gave the first file's header (16-bit, 1000 frames) over the other's bytes (float, with
// its own header inside the "samples"), i.e. noise of the wrong length. It now reads both through one
// descriptor. A real swapper swaps the name between the song and a link to the other WAV (links are
// followed when no bundle is given, so reading the other one whole is fine; a mix of the two is not).
let dir: string;
let cleanup: () => Promise<void>;
let swapper: Swapper | undefined;
const SONG_FRAMES = 1000;
const OTHER_FRAMES = 3000;
const OTHER_VALUE = 0.75;

/** A 16-bit PCM stereo WAV whose frame i holds i/2000 in both channels. */
function pcm16Wav(frames: number): Buffer {
  const data = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; i++) {
    const v = Math.round((i / 2000) * 32768);
    data.writeInt16LE(v, i * 4);
    data.writeInt16LE(v, i * 4 + 2);
  }
  const head = Buffer.alloc(44);
  head.write('RIFF', 0, 'ascii');
  head.writeUInt32LE(36 + data.length, 4);
  head.write('WAVEfmt ', 8, 'ascii');
  head.writeUInt32LE(16, 16);
  head.writeUInt16LE(1, 20);
  head.writeUInt16LE(2, 22);
  head.writeUInt32LE(44100, 24);
  head.writeUInt32LE(44100 * 4, 28);
  head.writeUInt16LE(4, 32);
  head.writeUInt16LE(16, 34);
  head.write('data', 36, 'ascii');
  head.writeUInt32LE(data.length, 40);
  return Buffer.concat([head, data]);
}

function floatWav(frames: number, value: number): Buffer {
  const data = Buffer.alloc(frames * 8);
  for (let i = 0; i < frames * 2; i++) data.writeFloatLE(value, i * 4);
  return Buffer.concat([buildFloatWavHeader(2, 48000, frames), data]);
}

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  await writeFile(join(dir, 'original.wav'), pcm16Wav(SONG_FRAMES));
  await writeFile(join(dir, 'other.wav'), floatWav(OTHER_FRAMES, OTHER_VALUE));
  swapper = await startSwapper({
    folder: dir,
    name: 'song.wav',
    original: 'original.wav',
    other: join(dir, 'other.wav'),
  });
});
afterAll(async () => {
  await swapper?.stop();
  await cleanup();
});

/** Which file the samples read are wholly of; fails the test on anything else (a mix of the two). */
function whose(left: Float32Array, sampleRate?: number): 'song' | 'other' {
  const rate = (hz: number) => sampleRate === undefined || sampleRate === hz;
  if (
    left.length === SONG_FRAMES &&
    rate(44100) &&
    left.every((v, i) => v === Math.round((i / 2000) * 32768) / 32768)
  )
    return 'song';
  expect(
    left.length === OTHER_FRAMES && rate(48000) && left.every((v) => v === OTHER_VALUE),
    `read neither file whole: ${left.length} frames at ${sampleRate ?? '?'} Hz, starting ${left.slice(0, 4).join(', ')}`,
  ).toBe(true);
  return 'other';
}

describe('a WAV whose name is swapped for another WAV while it is read', () => {
  it.each([
    [
      'readWav',
      async (file: string) => {
        const blocks: Float32Array[] = [];
        // readWav does not say the rate: its samples and their number tell the files apart.
        for await (const block of readWav(file, { blockFrames: 256 })) blocks.push(block[0]!);
        const left = new Float32Array(blocks.reduce((n, b) => n + b.length, 0));
        let at = 0;
        for (const b of blocks) {
          left.set(b, at);
          at += b.length;
        }
        return { left, rate: undefined };
      },
    ],
    [
      'readWavFile',
      async (file: string) => {
        const read = await readWavFile(file);
        return { left: read.channels[0]!, rate: read.sampleRate };
      },
    ],
  ] as const)(
    "%s gives one file header and samples, never one file's header over the other's bytes",
    async (_, read) => {
      const file = join(dir, 'song.wav');
      const counts = await raceTries(
        ['song', 'other', 'refused'],
        { least: 100, most: 1000, enough: (c) => c.song > 0 && c.other > 0 },
        async () => {
          const got = await read(file).catch(() => undefined);
          return got === undefined ? 'refused' : whose(got.left, got.rate);
        },
      );
      expect(counts.song).toBeGreaterThan(0);
    },
    120_000,
  );

  // A caller that chose how to read the file from its header (separation: a 44.1 kHz stereo WAV is read
  // directly, anything else through ffmpeg) gives that shape: a file of another shape there now is refused,
  // naming it, not read as 44.1 kHz stereo.
  it('readWav with the shape found before refuses a file of another shape swapped in since', async () => {
    const file = join(dir, 'song.wav');
    const counts = await raceTries(
      ['song', 'refused', 'refusedAtOpen'],
      { least: 100, most: 1000, enough: (c) => c.song > 0 && c.refused > 0 },
      async () => {
        const blocks: Float32Array[] = [];
        try {
          for await (const block of readWav(file, { shape: { sampleRate: 44100, channels: 2 } }))
            blocks.push(block[0]!);
        } catch (error) {
          // Replaced while being opened (fs-safe), or since its header was read (the shape): either names it.
          expect(errorMessage(error)).toContain(file);
          expect(errorMessage(error)).toMatch(/replaced while it was being (opened|read)/);
          if (isImkError(error, 'FILE_CHANGED')) return 'refused';
          return 'refusedAtOpen';
        }
        expect(whose(blocks[0] ?? new Float32Array(0))).toBe('song');
        return 'song';
      },
    );
    expect(counts.song).toBeGreaterThan(0);
    expect(counts.refused).toBeGreaterThan(0);
  }, 120_000);
});
