import { describe, expect, it } from 'vitest';
import { createChunkSpectrogram } from './chunk-spectrogram.ts';
import { createMdxDemixer } from './demixer.ts';

describe('mdx demixer', () => {
  it('works through a 10-minute song chunk by chunk, in order, never more than two chunks behind', async () => {
    const spectrogram = createChunkSpectrogram(2048, 1024, 1024, 16);
    const sizes: number[] = [];
    const demixer = createMdxDemixer({
      spectrogram,
      // An identity model that records what it was given.
      run: (tensor, batch) => {
        sizes.push(batch);
        return Promise.resolve(tensor);
      },
      overlap: 'default',
      batchSize: 1,
      denoise: false,
      compensate: 1,
    });
    const block = 44100;
    const total = 600 * 44100;
    let pushed = 0;
    let out = 0;
    let worstLag = 0;
    let phase = 0;
    while (pushed < total) {
      const n = Math.min(block, total - pushed);
      const l = new Float32Array(n).map(() => Math.sin((phase += 0.05)));
      const got = await demixer.push([l, l]);
      pushed += n;
      out += got?.[0]?.length ?? 0;
      worstLag = Math.max(worstLag, pushed - out);
    }
    out += (await demixer.flush())[0]!.length;
    expect(out).toBe(total);
    // Chunk of 15,360 samples: what is held is bounded by the chunk and a block, not by the song.
    expect(worstLag).toBeLessThanOrEqual(2 * spectrogram.chunkSize + block);
    expect(sizes.every((b) => b === 1)).toBe(true);
    expect(sizes.length).toBe(Math.ceil((total + 1024) / (spectrogram.chunkSize - 2048)));
  }, 120_000);

  it('batches chunks when asked, with the same output', async () => {
    const spectrogram = createChunkSpectrogram(2048, 1024, 1024, 16);
    const input = new Float32Array(100_000).map((_, i) => Math.sin(i * 0.1) * 0.5);
    const run = async (batchSize: number) => {
      const d = createMdxDemixer({
        spectrogram,
        run: (t) => Promise.resolve(t.map((v) => v * 0.5)),
        overlap: 0.25,
        batchSize,
        denoise: true,
        compensate: 1.01,
      });
      const parts = [await d.push([input, input]), await d.flush()];
      return Float32Array.from(parts.flatMap((p) => Array.from(p?.[0] ?? [])));
    };
    const one = await run(1);
    const four = await run(4);
    expect(one.length).toBe(100_000);
    expect(Array.from(four)).toEqual(Array.from(one));
    // Identity × 0.5 × 1.01, denoise of a linear model changes nothing: a 700 Hz tone is far from the zeroed bins.
    expect(Math.abs(one[50_000]! - input[50_000]! * 0.505)).toBeLessThan(0.01);
  });
});
