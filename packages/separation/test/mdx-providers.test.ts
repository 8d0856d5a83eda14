// Which ONNX Runtime execution providers the mdx engine runs a user's model on, and what it says when it cannot.
// - executionProviders: [cuda] without onnxruntime-node's GPU libraries (npm install scripts off) was
//   MODEL_INVALID, "a corrupt or truncated file, or not an ONNX model": the model was blamed for the
//   install. It is now ENGINE_UNAVAILABLE naming the providers; a corrupt model is still MODEL_INVALID.
// - executionProviders: [cuda, cpu] failed every job where CUDA could not be loaded (this machine: no GPU,
//   no CUDA provider library), with the same ENGINE_UNAVAILABLE: ORT fails the whole session when any
//   provider fails. The list now means "the first that works", and the log says which one ran and why
//   the ones before it could not.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { errorMessage, isImkError } from '@imk/errors';
import { createLogger } from '@imk/log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMdxEngine } from '../src/engines/mdx.ts';
import { makeTempDir, musicLikeFile } from './audio-fixtures.ts';
import { SHAPE, errorOf } from './mdx-model-kit.ts';
import { identityGraph, writeModel } from './mdx-graphs.ts';

let dir = '';
let cleanup: () => Promise<void> = () => Promise.resolve();
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('imk-mdx-providers-'));
});
afterAll(() => cleanup());

describe('mdx engine: execution providers', () => {
  it('blames an execution provider it cannot use, not a model that opens on the CPU', async () => {
    const model = await writeModel(join(dir, 'good.onnx'), identityGraph(SHAPE), SHAPE);
    const error = await errorOf(dir, { model, executionProviders: ['warp-drive'] });
    expect(isImkError(error, 'ENGINE_UNAVAILABLE'), String(error)).toBe(true);
    expect((error as Error).message).toContain(
      `ONNX Runtime cannot run MDX model ${model} with the execution providers warp-drive here (the model itself opens on the CPU)`,
    );
    expect((error as Error).message).toContain('executionProviders: [cpu]');

    const corrupt = await writeModel(join(dir, 'corrupt.onnx'), identityGraph(SHAPE).subarray(0, 40), SHAPE);
    expect(
      isImkError(await errorOf(dir, { model: corrupt, executionProviders: ['warp-drive'] }), 'MODEL_INVALID'),
    ).toBe(true);
  });

  it('runs on the first provider that works: [cuda, cpu] runs on the CPU here, and the log says why', async () => {
    const model = await writeModel(join(dir, 'fallback.onnx'), identityGraph(SHAPE), {
      ...SHAPE,
      primaryStem: 'Vocals',
    });
    const song = join(dir, 'song.wav');
    await musicLikeFile(song, { seconds: 2 });
    for (const [providers, unused] of [
      [['cuda', 'cpu'], 'cuda'],
      [['warp-drive', 'cpu'], 'warp-drive'],
      // ONNX Runtime's Python names, and any case, as UVR and python-audio-separator users write them.
      [['CUDAExecutionProvider', 'CPUExecutionProvider'], 'cuda'],
      [['CUDA', 'CPU'], 'cuda'],
    ] as const) {
      const lines: Record<string, unknown>[] = [];
      const logger = createLogger('test', {
        level: 'info',
        destination: new Writable({
          write(chunk: Buffer, _encoding, done) {
            for (const line of chunk.toString().split('\n').filter(Boolean))
              lines.push(JSON.parse(line) as Record<string, unknown>);
            done();
          },
        }),
      });
      const workDir = join(dir, `work-${providers.join('-')}`);
      await mkdir(workDir);
      const result = await (
        await createMdxEngine({ model, executionProviders: [...providers] })
      ).separate({
        input: song,
        workDir,
        logger,
      });
      expect(result.frames).toBe(88200);
      const said = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('mdx: running on'));
      expect(said, JSON.stringify(lines)).toMatchObject({
        level: 40,
        execution_providers: ['cpu'],
        unused_providers: [{ provider: unused, reason: expect.any(String) }],
      });
      expect(said?.msg).toMatch(new RegExp(`^mdx: running on cpu; could not use ${unused} \\(.+\\)$`));
    }
  }, 120_000);

  // [cpu, cuda] did not open at all where CUDA cannot be loaded: ORT fails the whole session when any provider
  // in it fails, and only the providers before the last were ever set aside (each shorter tail was tried).
  it('sets aside any provider that cannot be opened, wherever it stands in the list, as long as one opens', async () => {
    const model = await writeModel(join(dir, 'anywhere.onnx'), identityGraph(SHAPE), {
      ...SHAPE,
      primaryStem: 'Vocals',
    });
    const song = join(dir, 'song-anywhere.wav');
    await musicLikeFile(song, { seconds: 1 });
    for (const [providers, unused] of [
      [['cpu', 'cuda'], ['cuda']],
      [
        ['cpu', 'cuda', 'tensorrt'],
        ['cuda', 'tensorrt'],
      ],
      [
        ['cuda', 'cpu', 'tensorrt'],
        ['cuda', 'tensorrt'],
      ],
      [
        ['tensorrt', 'cpu', 'cuda'],
        ['tensorrt', 'cuda'],
      ],
    ] as const) {
      const lines: Record<string, unknown>[] = [];
      const logger = createLogger('test', {
        level: 'info',
        destination: new Writable({
          write(chunk: Buffer, _encoding, done) {
            for (const line of chunk.toString().split('\n').filter(Boolean))
              lines.push(JSON.parse(line) as Record<string, unknown>);
            done();
          },
        }),
      });
      const workDir = join(dir, `work-anywhere-${providers.join('-')}`);
      await mkdir(workDir);
      const engine = await createMdxEngine({ model, executionProviders: [...providers] });
      const result = await engine.separate({ input: song, workDir, logger }).catch((e: unknown) => e);
      await engine.close!();
      expect(result, `${providers.join(', ')}: ${errorMessage(result)}`).toMatchObject({ frames: 44100 });
      const warned = lines.filter((l) => (l.level as number) >= 40);
      expect(warned, JSON.stringify(lines)).toHaveLength(1);
      expect(warned[0]).toMatchObject({
        execution_providers: ['cpu'],
        unused_providers: unused.map((provider) => ({ provider, reason: expect.any(String) })),
      });
      expect(warned[0]!.msg).toMatch(
        new RegExp(`^mdx: running on cpu; could not use ${unused.map((p) => `${p} \\(.+\\)`).join('; ')}$`),
      );
    }
  }, 120_000);

  it('names each provider and why it could not be opened when none opens', async () => {
    const model = await writeModel(join(dir, 'none-opens.onnx'), identityGraph(SHAPE), SHAPE);
    const error = await errorOf(dir, { model, executionProviders: ['cuda', 'tensorrt', 'warp-drive'] });
    expect(isImkError(error, 'ENGINE_UNAVAILABLE'), String(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('(the model itself opens on the CPU)');
    // Each provider's own reason: cuda's and tensorrt's own libraries, warp-drive not a provider at all.
    expect(message).toMatch(
      /cuda \([^;]*cuda[^;]*\); tensorrt \([^;]*tensorrt[^;]*\); warp-drive \(this ONNX Runtime has no provider of that name/i,
    );
  });

  it('still blames a corrupt model, not the GPU, when every provider in the list fails', async () => {
    const corrupt = await writeModel(join(dir, 'corrupt2.onnx'), identityGraph(SHAPE).subarray(0, 40), SHAPE);
    const error = await errorOf(dir, { model: corrupt, executionProviders: ['cuda', 'cpu'] });
    expect(isImkError(error, 'MODEL_INVALID'), String(error)).toBe(true);
    expect((error as Error).message).not.toContain('Cuda');
  });
});
