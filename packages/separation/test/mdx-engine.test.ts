import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isImkError } from '@imk/errors';
import { decodeAudio } from '@imk/media';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PcmChannels } from '../src/engine.ts';
import { createRealFft } from '../src/dsp/fft.ts';
import { hannWindow } from '../src/dsp/stft-window.ts';
import { createMdxEngine } from '../src/engines/mdx.ts';
import { createEngine } from '../src/engines/registry.ts';
import { mdxModelHash, MDX_HASH_TAIL_BYTES } from '../src/mdx/model-hash.ts';
import { openMdxSessionCount } from '../src/mdx/session-pool.ts';
import { nullResidualDb } from '../src/variant-mix.ts';
import { ffmpeg, makeTempDir, musicLikeFile } from './audio-fixtures.ts';
import { describeEngineConformance } from './engine-conformance.ts';
import {
  gainGraph,
  identityGraph,
  identityWithDims,
  lowPassGraph,
  swapGraph,
  writeModel,
} from './mdx-graphs.ts';
import { referenceDemix, type RefModel } from './mdx-reference.ts';

// The conformance suite makes its engine synchronously, so its model is written when this file loads.
const conformanceDir = join(process.env.TMPDIR ?? '/tmp', `imk-mdx-conf-${process.pid}`);
mkdirSync(conformanceDir, { recursive: true });
const small = { nFft: 2048, dimF: 1024, dimT: 16 };
const conformanceModel = join(conformanceDir, 'identity.onnx');
writeFileSync(conformanceModel, identityGraph(small));
writeFileSync(
  join(conformanceDir, 'identity.json'),
  JSON.stringify({
    compensate: 1.01,
    mdx_dim_f_set: 1024,
    mdx_dim_t_set: 4,
    mdx_n_fft_scale_set: 2048,
    primary_stem: 'Instrumental',
  }),
);
describeEngineConformance('mdx', () => createMdxEngine({ model: conformanceModel }));

async function readPcm(file: string): Promise<PcmChannels> {
  const parts: PcmChannels[] = [];
  for await (const block of decodeAudio(file, { sampleRate: 44100, channels: 2 })) parts.push(block);
  return [0, 1].map((c) => {
    const out = new Float32Array(parts.reduce((n, p) => n + p[c]!.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p[c]!, o);
      o += p[c]!.length;
    }
    return out;
  });
}

/** 10·log10 of Σ(a − b)² / Σ b² over both channels. */
function residualDb(a: ArrayLike<number>[], b: ArrayLike<number>[]): number {
  let err = 0;
  let ref = 0;
  for (let c = 0; c < 2; c++)
    for (let i = 0; i < b[c]!.length; i++) {
      err += (a[c]![i]! - b[c]![i]!) ** 2;
      ref += b[c]![i]! ** 2;
    }
  return 10 * Math.log10(err / ref);
}

describe('mdx engine', () => {
  let dir = '';
  let cleanup: () => Promise<void> = () => Promise.resolve();
  let song = '';
  let short = '';
  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir('imk-mdx-'));
    song = join(dir, 'song.wav');
    await musicLikeFile(song, { seconds: 20, codec: ['-c:a', 'pcm_f32le'] });
    short = join(dir, 'short.wav');
    await musicLikeFile(short, { seconds: 3, codec: ['-c:a', 'pcm_f32le'] });
  });
  afterAll(async () => {
    await cleanup();
    const { rm } = await import('node:fs/promises');
    await rm(conformanceDir, { recursive: true, force: true });
  });

  async function separate(model: string, input = song, name = 'work', overlap?: 'default' | number) {
    const workDir = join(dir, `${name}-${Math.random().toString(36).slice(2)}`);
    await mkdir(workDir);
    const result = await (await createMdxEngine({ model, overlap })).separate({ input, workDir });
    return { result, vocals: await readPcm(result.stems.vocals) };
  }

  it('gives back the mixture through an identity graph (UVR sizes, 20 s, many chunks): < −60 dB outside the zeroed bins', async () => {
    const shape = { nFft: 6144, dimF: 3072, dimT: 256 };
    const model = await writeModel(join(dir, 'identity-6144.onnx'), identityGraph(shape), {
      ...shape,
      primaryStem: 'Vocals',
    });
    const { result, vocals } = await separate(model);
    const mix = await readPcm(song);
    expect(result.frames).toBe(882000);
    // Bins 0–2 are zeroed on the way in, as UVR does; what that removes spreads over the Hann window's main
    // lobe (two bins either side), so the comparison is over STFT bins 5 and up (n_fft 6144, hop 1024).
    const fft = createRealFft(6144);
    const window = hannWindow(6144);
    const spectrum = new Float32Array(6144);
    const energy = (x: Float32Array, from: number): number => {
      let e = 0;
      for (let s = 0; s + 6144 <= x.length; s += 1024) {
        fft.forwardWindowed(x.subarray(s, s + 6144), window, spectrum);
        for (let k = from; k < 3072; k++) e += spectrum[2 * k]! ** 2 + spectrum[2 * k + 1]! ** 2;
      }
      return e;
    };
    const db = (from: number) => {
      let err = 0;
      let ref = 0;
      for (let c = 0; c < 2; c++) {
        err += energy(
          vocals[c]!.map((v, i) => v - mix[c]![i]!),
          from,
        );
        ref += energy(mix[c]!, 3);
      }
      return 10 * Math.log10(err / ref);
    };
    expect(db(5)).toBeLessThan(-60);
    expect(db(8)).toBeLessThan(-90);
    // vocals + instrumental is the mixture exactly, and instrumental = drums + bass + other.
    expect(await nullResidualDb(song, result.stems)).toBeLessThan(-100);
  }, 120_000);

  it('gives exactly half through a half-gain graph, and compensate scales the primary stem', async () => {
    const shape = { nFft: 2048, dimF: 1024, dimT: 16 };
    const ident = await separate(
      await writeModel(join(dir, 'id-2048.onnx'), identityGraph(shape), { ...shape, primaryStem: 'Vocals' }),
      short,
    );
    const half = await separate(
      await writeModel(join(dir, 'half.onnx'), gainGraph(shape, 0.5), { ...shape, primaryStem: 'Vocals' }),
      short,
    );
    const scaled = await separate(
      await writeModel(join(dir, 'comp.onnx'), identityGraph(shape), {
        ...shape,
        primaryStem: 'Vocals',
        compensate: 1.022,
      }),
      short,
    );
    expect(
      residualDb(
        half.vocals,
        ident.vocals.map((c) => c.map((v) => v * 0.5)),
      ),
    ).toBeLessThan(-120);
    expect(
      residualDb(
        scaled.vocals,
        ident.vocals.map((c) => c.map((v) => v * 1.022)),
      ),
    ).toBeLessThan(-120);
  }, 60_000);

  describe('matches UVR formulas computed independently (float64, an FFT of its own)', () => {
    const shape = { nFft: 2048, dimF: 768, dimT: 16 };
    let excerpt = '';
    let mix: Float64Array[] = [];
    // 0.3 s: shorter than one chunk of 15,360 samples.
    let blip = '';
    let blipMix: Float64Array[] = [];
    beforeAll(async () => {
      excerpt = join(dir, 'excerpt.wav');
      await ffmpeg('-i', song, '-ss', '3', '-t', '1.6', '-c:a', 'pcm_f32le', excerpt);
      mix = (await readPcm(excerpt)).map((c) => Float64Array.from(c));
      blip = join(dir, 'blip.wav');
      await ffmpeg('-i', song, '-ss', '5', '-t', '0.3', '-c:a', 'pcm_f32le', blip);
      blipMix = (await readPcm(blip)).map((c) => Float64Array.from(c));
    });

    const cases: [string, (s: typeof shape) => Uint8Array, RefModel][] = [
      ['swaps left and right', swapGraph, (spec) => [spec[2]!, spec[3]!, spec[0]!, spec[1]!]],
      [
        'zeroes the bins above 300',
        (s) => lowPassGraph(s, 300),
        (spec) => spec.map((plane) => plane.map((row, f) => (f < 300 ? row : row.map(() => 0)))),
      ],
    ];
    for (const [label, graph, formula] of cases)
      it(
        label,
        async () => {
          const model = await writeModel(join(dir, `${label.replace(/\W+/g, '-')}.onnx`), graph(shape), {
            ...shape,
            primaryStem: 'Vocals',
            compensate: 1.03,
          });
          const { vocals } = await separate(model, excerpt);
          const expected = referenceDemix(mix, { ...shape, compensate: 1.03 }, formula);
          expect(vocals[0]!.length).toBe(expected[0]!.length);
          expect(residualDb(vocals, expected)).toBeLessThan(-90);
        },
        120_000,
      );

    // The overlap setting at its ends (0: no window, as UVR weighs chunks then; 0.9) and in between, and a song
    // shorter than one chunk, against the same transcription.
    const overlaps: [string, 'default' | number, () => string, () => Float64Array[]][] = [
      ['overlap 0', 0, () => excerpt, () => mix],
      ['overlap 0.5', 0.5, () => excerpt, () => mix],
      ['overlap 0.9, a 0.3-second song', 0.9, () => blip, () => blipMix],
      ['overlap default, a 0.3-second song', 'default', () => blip, () => blipMix],
    ];
    for (const [label, overlap, input, inputMix] of overlaps)
      it(`swaps left and right with ${label}`, async () => {
        const model = await writeModel(join(dir, 'swap-overlap.onnx'), swapGraph(shape), {
          ...shape,
          primaryStem: 'Vocals',
          compensate: 1.03,
        });
        const { vocals } = await separate(model, input(), 'overlap', overlap);
        const expected = referenceDemix(inputMix(), { ...shape, compensate: 1.03, overlap }, (spec) => [
          spec[2]!,
          spec[3]!,
          spec[0]!,
          spec[1]!,
        ]);
        expect(vocals[0]!.length).toBe(expected[0]!.length);
        expect(residualDb(vocals, expected)).toBeLessThan(-90);
      }, 120_000);
  });

  it("hashes a model as UVR does: MD5 of the last 10,240,000 bytes, or of a smaller file's whole", async () => {
    const big = join(dir, 'big.onnx');
    const bytes = randomBytes(12 * 1024 * 1024);
    await writeFile(big, bytes);
    expect(MDX_HASH_TAIL_BYTES).toBe(10_240_000);
    const tail = createHash('md5')
      .update(bytes.subarray(bytes.length - 10_240_000))
      .digest('hex');
    expect(await mdxModelHash(big)).toBe(tail);
    expect(await mdxModelHash(big)).not.toBe(createHash('md5').update(bytes).digest('hex'));
    const smallFile = join(dir, 'small.onnx');
    await writeFile(smallFile, bytes.subarray(0, 5000));
    expect(await mdxModelHash(smallFile)).toBe(
      createHash('md5').update(bytes.subarray(0, 5000)).digest('hex'),
    );
  });

  it('names the file, its hash and the keys to write for a model it does not know', async () => {
    const model = join(dir, 'mystery.onnx');
    await writeFile(model, identityGraph({ dimF: 1024, dimT: 16 }));
    const error = await createEngine('mdx', { model }).catch((e: unknown) => e);
    expect(isImkError(error, 'MODEL_UNKNOWN')).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(model);
    expect(message).toContain(await mdxModelHash(model));
    for (const key of ['compensate', 'mdx_dim_f_set', 'mdx_dim_t_set', 'mdx_n_fft_scale_set', 'primary_stem'])
      expect(message).toContain(key);
    expect(message).toContain('mystery.json');
  });

  it('refuses a model whose input shape disagrees with its parameters before reading any audio', async () => {
    const shape = { nFft: 2048, dimF: 1024, dimT: 16 };
    const model = await writeModel(
      join(dir, 'wrong.onnx'),
      identityWithDims(shape, ['batch', 4, 2048, 16]),
      shape,
    );
    const workDir = join(dir, 'wrong');
    await mkdir(workDir);
    const error = await (
      await createMdxEngine({ model })
    )
      .separate({ input: join(dir, 'no such song.wav'), workDir })
      .catch((e: unknown) => e);
    expect(isImkError(error, 'MODEL_SHAPE_MISMATCH')).toBe(true);
    expect((error as Error).message).toMatch(/wrong\.onnx.*2048.*\[batch, 4, 1024, 16\]/);
  });

  it('reports a corrupt model file clearly', async () => {
    const shape = { nFft: 2048, dimF: 1024, dimT: 16 };
    const model = await writeModel(join(dir, 'corrupt.onnx'), identityGraph(shape).subarray(0, 40), shape);
    const workDir = join(dir, 'corrupt');
    await mkdir(workDir);
    const error = await (
      await createMdxEngine({ model })
    )
      .separate({ input: short, workDir })
      .catch((e: unknown) => e);
    expect(isImkError(error, 'MODEL_INVALID')).toBe(true);
    expect((error as Error).message).toContain('corrupt.onnx');
  });

  it('opens one ONNX Runtime session per model and reuses it across engines and songs', async () => {
    const shape = { nFft: 2048, dimF: 1024, dimT: 16 };
    const model = await writeModel(join(dir, 'reuse.onnx'), identityGraph(shape), shape);
    await separate(model, short);
    const after = openMdxSessionCount();
    await separate(model, short);
    await separate(model, short);
    expect(openMdxSessionCount()).toBe(after);
  }, 60_000);
});
