import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio, readAudio } from './decode.ts';
import { ffmpeg, liveChildren, makeTempDir, sineFile } from '../test/helpers.ts';

let dir = '';
let cleanup: () => Promise<void> = async () => {};
beforeAll(async () => ({ dir, cleanup } = await makeTempDir()));
afterAll(() => cleanup());

describe('decodeAudio', () => {
  it('streams 44.1 kHz stereo float blocks of the requested size', async () => {
    const file = path.join(dir, 'stereo.flac');
    await sineFile(file, { seconds: 2, codec: ['-c:a', 'flac'] });
    const sizes: number[] = [];
    for await (const block of decodeAudio(file, { blockFrames: 32768 })) {
      expect(block).toHaveLength(2);
      sizes.push(block[0]!.length);
    }
    expect(sizes.slice(0, -1).every((n) => n === 32768)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(88200);
  });

  it('up-mixes mono to two equal channels at the original level', async () => {
    const file = path.join(dir, 'mono.wav');
    await sineFile(file, { seconds: 1, channels: 1, amplitude: 0.5 });
    const { channels, frames } = await readAudio(file);
    expect(frames).toBe(44100);
    expect(channels).toHaveLength(2);
    expect(Buffer.from(channels[0]!.buffer).equals(Buffer.from(channels[1]!.buffer))).toBe(true);
    const peak = channels[0]!.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(peak).toBeGreaterThan(0.49);
    expect(peak).toBeLessThan(0.51);
  });

  it('resamples 48 kHz to 44.1 kHz keeping the length and the pitch', async () => {
    const file = path.join(dir, '48k.wav');
    await sineFile(file, { seconds: 3, rate: 48000, frequency: 1000, amplitude: 0.5 });
    const { channels, frames, sampleRate } = await readAudio(file);
    expect(sampleRate).toBe(44100);
    expect(Math.abs(frames - 3 * 44100)).toBeLessThanOrEqual(4);
    // 1 kHz: count zero crossings over the middle second.
    const mid = channels[0]!.subarray(44100, 88200);
    let crossings = 0;
    for (let i = 1; i < mid.length; i++) if (mid[i - 1]! < 0 !== mid[i]! < 0) crossings++;
    expect(Math.abs(crossings - 2000)).toBeLessThanOrEqual(2);
  });

  it('stops ffmpeg when the consumer stops early', async () => {
    const file = path.join(dir, 'long.wav');
    await sineFile(file, { seconds: 10 });
    let blocks = 0;
    for await (const block of decodeAudio(file, { blockFrames: 4096 })) {
      expect(block[0]).toHaveLength(4096);
      if (++blocks === 2) {
        expect(await liveChildren('ffmpeg')).toHaveLength(1);
        break;
      }
    }
    expect(blocks).toBe(2);
    expect(await liveChildren('ffmpeg')).toEqual([]);
  });

  it('rejects with ABORTED when the signal fires', async () => {
    const file = path.join(dir, 'abort.wav');
    await sineFile(file, { seconds: 5 });
    const controller = new AbortController();
    const run = async () => {
      for await (const _block of decodeAudio(file, { blockFrames: 1024, signal: controller.signal }))
        controller.abort();
    };
    await expect(run()).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await liveChildren('ffmpeg')).toEqual([]);
  });

  it('decodes digital silence to zeros of the right length (silent is not empty)', async () => {
    const file = path.join(dir, 'silence.flac');
    await ffmpeg('-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=stereo', '-t', '8', '-c:a', 'flac', file);
    const { channels, frames } = await readAudio(file);
    expect(frames).toBe(8 * 44100);
    expect(channels.every((c) => c.every((v) => v === 0))).toBe(true);
  });

  it('streams a 20-minute input in bounded memory', async () => {
    // 8 kHz mono 16-bit keeps the file small (19 MB); decoded to 44.1 kHz stereo float it is 423 MB.
    const file = path.join(dir, 'twenty-minutes.wav');
    await ffmpeg('-f', 'lavfi', '-i', 'sine=f=100:r=8000:d=1200', '-c:a', 'pcm_s16le', file);
    const before = process.memoryUsage().rss;
    let peak = before;
    let frames = 0;
    for await (const block of decodeAudio(file)) {
      frames += block[0]!.length;
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(Math.abs(frames - 1200 * 44100)).toBeLessThanOrEqual(4);
    expect(peak - before).toBeLessThan(150 * 1024 * 1024);
  });
});
