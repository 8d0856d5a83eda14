// imk doctor's check of the models folder opened every model in it at once: with UVR's whole MDX_Net_Models
// folder copied in (tens of models of 50-200 MB, or hundreds), every model was in memory together, each loading
// in a thread of its own. It now opens them one at a time, as imk models does.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { resolvePaths } from '@imk/config';
import { openMdxSessionCount } from '@imk/separation';
import { identityGraph, writeModel } from '@imk/separation/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelsCheck } from '../src/model-checks.ts';
import { makeRoot, removeRoot } from './helpers.ts';

let root = '';
beforeAll(async () => {
  root = await makeRoot({});
});
afterAll(() => removeRoot(root));

describe('imk doctor: the models folder', () => {
  it('opens one model at a time, and checks every one', async () => {
    const shape = { nFft: 2048, dimF: 1024, dimT: 16 };
    await mkdir(join(root, 'models', 'UVR'), { recursive: true });
    for (let i = 0; i < 6; i++)
      await writeModel(join(root, 'models', i < 3 ? '' : 'UVR', `model ${i}.onnx`), identityGraph(shape), {
        ...shape,
        compensate: 1 + i / 100,
      });
    let most = 0;
    const watch = setInterval(() => (most = Math.max(most, openMdxSessionCount())), 1);
    const result = await modelsCheck
      .run({ paths: resolvePaths(root), env: {}, now: new Date() })
      .finally(() => clearInterval(watch));
    expect(result.status, result.summary).toBe('ok');
    for (let i = 0; i < 6; i++) expect(result.summary).toContain(`model ${i}.onnx`);
    expect(most).toBeGreaterThan(0);
    expect(most).toBe(1);
    expect(openMdxSessionCount()).toBe(0);
  }, 60_000);
});
