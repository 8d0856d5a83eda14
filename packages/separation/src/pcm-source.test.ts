import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio } from '@imk/media';
import type { PcmChannels } from './engine.ts';
import { openMixture } from './pcm-source.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-pcm-source-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const tone = (file: string, args: string[]) =>
  execa('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', ...args, file]);

async function collect(blocks: AsyncGenerator<PcmChannels>): Promise<Buffer[]> {
  const channels: Buffer[][] = [[], []];
  for await (const block of blocks) for (const c of [0, 1]) channels[c]!.push(Buffer.from(block[c]!.buffer));
  return channels.map((parts) => Buffer.concat(parts));
}

describe('openMixture', () => {
  it.each(['pcm_f32le', 'pcm_s16le'])(
    'reads a 44.1 kHz stereo %s WAV sample for sample as ffmpeg decodes it, as often as asked',
    async (codec) => {
      const file = join(dir, `${codec}.wav`);
      await tone(file, ['-ac', '2', '-ar', '44100', '-c:a', codec]);
      const source = await openMixture(file);
      expect(source.expectedFrames).toBe(88200);
      const first = await collect(source.blocks());
      const again = await collect(source.blocks());
      const ffmpeg = await collect(decodeAudio(file, { sampleRate: 44100, channels: 2 }));
      expect(first[0]!.length).toBe(88200 * 4);
      for (const c of [0, 1]) {
        expect(first[c]!.equals(ffmpeg[c]!)).toBe(true);
        expect(again[c]!.equals(first[c]!)).toBe(true);
      }
    },
  );

  it('decodes anything else with ffmpeg (mono up-mixed, 48 kHz resampled)', async () => {
    const file = join(dir, 'mono48.flac');
    await tone(file, ['-ac', '1', '-ar', '48000', '-c:a', 'flac']);
    const source = await openMixture(file);
    expect(source.expectedFrames).toBeCloseTo(88200, -2);
    const [left, right] = await collect(source.blocks());
    expect(Math.abs(left!.length / 4 - 88200)).toBeLessThan(64);
    expect(left!.equals(right!)).toBe(true);
  });

  it('rejects bad input with the media error naming the file, as ffmpeg reports it', async () => {
    const empty = join(dir, 'empty.wav');
    await tone(empty, ['-ac', '2', '-ar', '44100', '-c:a', 'pcm_f32le', '-t', '0']);
    await expect(collect((await openMixture(empty)).blocks())).rejects.toMatchObject({ code: 'MEDIA_EMPTY' });
    const text = join(dir, 'notes.wav');
    await writeFile(text, 'not audio at all');
    await expect(openMixture(text)).rejects.toMatchObject({
      code: 'MEDIA_UNREADABLE',
      message: expect.stringContaining(text),
    });
  });

  it('refuses a FIFO named .wav, naming it, instead of blocking in open() before any check', async () => {
    const fifo = join(dir, 'pipe.wav');
    await execa('mkfifo', [fifo]);
    await expect(openMixture(fifo)).rejects.toMatchObject({
      code: 'MEDIA_UNREADABLE',
      message: expect.stringMatching(/pipe\.wav.*not a regular file/),
    });
  });
});
