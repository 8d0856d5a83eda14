import { execFileSync } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImkError } from '@imk/errors';
import { createWavWriter } from './wav-writer.ts';
import { readWav, readWavFile } from './wav-reader.ts';
import { readWavHeader } from './wav-header.ts';
import { probeMedia } from './probe.ts';
import { ffmpeg, makeTempDir, sineFile } from '../test/helpers.ts';

let dir = '';
let cleanup: () => Promise<void> = async () => {};
beforeAll(async () => ({ dir, cleanup } = await makeTempDir()));
afterAll(() => cleanup());

function noise(frames: number, seed: number): Float32Array {
  const out = new Float32Array(frames);
  let x = seed;
  for (let i = 0; i < frames; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = (x / 0xffffffff) * 2 - 1;
  }
  return out;
}

describe('float WAV writer and reader', () => {
  it('round-trips planar float32 bit-exactly, across uneven block sizes', async () => {
    const file = path.join(dir, 'roundtrip.wav');
    const left = noise(100_003, 1);
    const right = noise(100_003, 2);
    right[5] = Number.MIN_VALUE; // denormals and extremes survive too
    right[6] = -3.5;
    const writer = createWavWriter(file, { sampleRate: 44100, channels: 2 });
    for (let at = 0; at < left.length; at += 7_777) {
      await writer.write([left.subarray(at, at + 7_777), right.subarray(at, at + 7_777)]);
    }
    await writer.close();

    const header = await readWavHeader(file);
    expect(header).toMatchObject({
      encoding: 'float',
      bitsPerSample: 32,
      channels: 2,
      sampleRate: 44100,
      frames: 100_003,
    });
    expect((await stat(file)).size).toBe(58 + 100_003 * 8);

    const blocks: Float32Array[][] = [];
    for await (const block of readWav(file, { blockFrames: 10_000 })) blocks.push(block);
    expect(blocks.map((b) => b[0]!.length)).toEqual([...Array<number>(10).fill(10_000), 3]);
    const whole = await readWavFile(file);
    expect(Buffer.from(whole.channels[0]!.buffer).equals(Buffer.from(left.buffer))).toBe(true);
    expect(Buffer.from(whole.channels[1]!.buffer).equals(Buffer.from(right.buffer))).toBe(true);
  });

  it('writes a file ffprobe reads as pcm_f32le with the right length', async () => {
    const file = path.join(dir, 'probe.wav');
    const writer = createWavWriter(file, { sampleRate: 48000, channels: 2 });
    await writer.write([new Float32Array(48000), new Float32Array(48000)]);
    await writer.close();
    const info = await probeMedia(file, { requireAudio: true }).catch((e: unknown) => e);
    // Silence has samples: it is not "empty".
    expect(info).toMatchObject({ audio: { codec: 'pcm_f32le', sample_rate: 48000, channels: 2 } });
    expect((info as { duration_sec: number }).duration_sec).toBeCloseTo(1, 3);
  });

  it('reads 16- and 24-bit PCM WAVs written by ffmpeg', async () => {
    for (const codec of ['pcm_s16le', 'pcm_s24le']) {
      const file = path.join(dir, `${codec}.wav`);
      await sineFile(file, { seconds: 0.5, amplitude: 0.5, codec: ['-c:a', codec] });
      const { channels, frames, sampleRate } = await readWavFile(file);
      expect(sampleRate).toBe(44100);
      expect(frames).toBe(22050);
      const peak = channels[0]!.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(peak).toBeGreaterThan(0.49);
      expect(peak).toBeLessThan(0.51);
      expect(channels[0]![100]).toBeCloseTo(0.5 * Math.sin((2 * Math.PI * 440 * 100) / 44100), 3);
    }
  });

  it('rejects other formats clearly, naming the file', async () => {
    const alaw = path.join(dir, 'alaw.wav');
    await ffmpeg('-f', 'lavfi', '-i', 'sine=d=0.1', '-c:a', 'pcm_alaw', alaw);
    const text = path.join(dir, 'text.wav');
    await writeFile(text, 'hello, not a wav');
    for (const file of [alaw, text]) {
      const error = await readWavHeader(file).catch((e: unknown) => e);
      expect(isImkError(error, 'WAV_UNSUPPORTED')).toBe(true);
      expect((error as Error).message).toContain(file);
    }
  });

  it('refuses a FIFO or a folder named .wav at once instead of blocking in open()', async () => {
    const fifo = path.join(dir, 'pipe.wav');
    execFileSync('mkfifo', [fifo]);
    const folder = path.join(dir, 'folder.wav');
    await mkdir(folder);
    for (const [file, kind] of [
      [fifo, 'a FIFO (named pipe)'],
      [folder, 'a folder'],
    ] as const) {
      for (const read of [() => readWavHeader(file), () => readWav(file).next()]) {
        const error = await read().catch((e: unknown) => e);
        expect(isImkError(error, 'MEDIA_UNREADABLE')).toBe(true);
        expect((error as Error).message).toContain(`${file}: it is ${kind}`);
      }
    }
  });

  it('abort() removes the partial file', async () => {
    const file = path.join(dir, 'aborted.wav');
    const writer = createWavWriter(file, { sampleRate: 44100, channels: 1 });
    await writer.write([new Float32Array(10)]);
    await writer.abort();
    await expect(readFile(file)).rejects.toThrow();
  });
});
