// imk doctor on an MDX model whose input or output is not what an MDX-Net model takes (MODEL_SHAPE_MISMATCH:
// a model of another kind, a copy made for a fixed batch of 2, one converted to float16) told the user to
// "give the model a <model>.json beside it": no .json makes such a model runnable. And a model ONNX Runtime
// could not run had ONNX Runtime's error in the summary twice: quoted by the message, then appended whole by
// errorMessage (it runs on over several lines, so the message did not "contain" it).
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolvePaths } from '@imk/config';
import { failsWhenRunGraph, float16Graph, identityWithDims, writeModel } from '@imk/separation/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mdxEngineCheck, modelsCheck } from '../src/model-checks.ts';
import { makeRoot, removeRoot } from './helpers.ts';

const SHAPE = { nFft: 2048, dimF: 1024, dimT: 16 };

let root = '';
beforeAll(async () => {
  root = await makeRoot({});
  await mkdir(join(root, 'models'), { recursive: true });
});
afterAll(() => removeRoot(root));

describe('imk doctor on MDX models the engine cannot run', () => {
  it('a model of the wrong shape or type is not told to give it a .json', async () => {
    const paths = resolvePaths(root);
    const models = join(root, 'models');
    await writeModel(join(models, 'rank3.onnx'), identityWithDims(SHAPE, [4, 1024, 16]), SHAPE);
    await writeModel(join(models, 'batch2.onnx'), identityWithDims(SHAPE, [2, 4, 1024, 16]), SHAPE);
    await writeModel(join(models, 'half.onnx'), float16Graph(SHAPE, 'both'), SHAPE);
    for (const model of ['models/rank3.onnx', 'models/batch2.onnx', 'models/half.onnx']) {
      const result = await mdxEngineCheck({ model }, paths);
      expect(result.status, model).toBe('fail');
      expect(result.fix, model).not.toContain('give the model a <model>.json');
      expect(result.fix, model).toContain('use the .onnx as UVR has it');
    }
    const folder = await modelsCheck.run({ paths, env: {}, now: new Date() });
    expect(folder.fix).not.toContain('give the model a <model>.json');
  }, 60_000);

  // An empty, cut-short or damaged copy (MODEL_INVALID) was told to "give the model a <model>.json beside it":
  // a .json was already there, and none repairs the file.
  it('a model file ONNX Runtime cannot open (empty, damaged) is told to copy it again, not to write a .json', async () => {
    const paths = resolvePaths(root);
    const models = join(root, 'models');
    const params = {
      compensate: 1.035,
      mdx_dim_f_set: 3072,
      mdx_dim_t_set: 8,
      mdx_n_fft_scale_set: 6144,
      primary_stem: 'Vocals',
    };
    await writeFile(join(models, 'damaged.onnx'), randomBytes(5000));
    await writeFile(join(models, 'damaged.json'), JSON.stringify(params));
    await writeFile(join(models, 'empty.onnx'), '');
    for (const model of ['models/damaged.onnx', 'models/empty.onnx']) {
      const result = await mdxEngineCheck({ model }, paths);
      expect(result.status, model).toBe('fail');
      expect(result.fix, model).not.toContain('give the model a <model>.json');
      expect(result.fix, model).toContain('copy the .onnx again from UVR');
    }
  }, 60_000);

  it("says ONNX Runtime's error once", async () => {
    const paths = resolvePaths(root);
    await writeModel(join(root, 'models', 'fails.onnx'), failsWhenRunGraph(SHAPE), SHAPE);
    const result = await mdxEngineCheck({ model: 'models/fails.onnx' }, paths);
    expect(result.status).toBe('fail');
    expect(result.summary).toContain('ONNX Runtime could not run MDX model');
    expect(result.summary.split('Non-zero status code returned while running Reshape node')).toHaveLength(2);
  }, 60_000);
});
