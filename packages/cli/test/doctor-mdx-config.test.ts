// docs/separation.md configures the mdx engine as `engine: { name: mdx, model: models/<file>.onnx }`, and
// the worker runs that model; but `imk doctor` read only engine.params.model, so with the documented config
// it failed "engine.name is mdx but engine.params.model names no model", and never checked the model the
// worker would run. Doctor now reads the engine's parameters as the worker does, and opens the model with
// the configured execution providers (it used the CPU alone, so `[cuda]` without CUDA libraries passed).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identityGraph, writeModel } from '@imk/separation/testing';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMK } from './imk-bin.ts';

const SHAPE = { nFft: 2048, dimF: 1024, dimT: 16 };

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-doctor-mdx-'));
  await mkdir(join(root, 'models'));
  await mkdir(join(root, 'config'));
  await writeModel(join(root, 'models', 'vocals.onnx'), identityGraph(SHAPE), {
    ...SHAPE,
    primaryStem: 'Vocals',
  });
});
afterAll(() => rm(root, { recursive: true, force: true }));

let lastStderr = '';
async function doctorWith(config: string): Promise<string> {
  await writeFile(join(root, 'config', 'instrumental-maker.yaml'), config);
  const r = await execa(process.execPath, [IMK, 'doctor', '--root', root], {
    reject: false,
    timeout: 60_000,
  });
  lastStderr = r.stderr;
  return r.stdout;
}

describe('imk doctor with the mdx engine configured as the docs show', () => {
  it('checks engine.model, the model the worker runs', async () => {
    expect(await doctorWith('engine:\n  name: mdx\n  model: models/vocals.onnx\n  threads: 2\n')).toMatch(
      /ok +separation engine +mdx: vocals\.onnx \(unnamed, Vocals, n_fft 2048/,
    );
    expect(await doctorWith('engine:\n  name: mdx\n  model: models/absent.onnx\n')).toMatch(
      /FAIL +separation engine +MDX model .*absent\.onnx cannot be read: it does not exist/,
    );
    // The providers configured, not the CPU alone: a model that opens on the CPU may not with these.
    expect(
      await doctorWith(
        'engine:\n  name: mdx\n  model: models/vocals.onnx\n  executionProviders: [warp-drive]\n',
      ),
    ).toMatch(
      /FAIL +separation engine +ONNX Runtime cannot run MDX model .*vocals\.onnx with the execution providers warp-drive/,
    );
    // A GPU first and the CPU after it: the first that works runs the model (here the CPU: no CUDA), and
    // doctor says so, and why, instead of failing.
    expect(
      await doctorWith(
        'engine:\n  name: mdx\n  model: models/vocals.onnx\n  executionProviders: [cuda, cpu]\n',
      ),
    ).toMatch(/WARN +separation engine +mdx: vocals\.onnx .* runs on cpu; could not use cuda \(.+\)/);
    // ...in that one line: not also in ONNX Runtime's own "[E:onnxruntime…] Failed to load library" on stderr.
    expect(lastStderr).not.toMatch(/onnxruntime/i);
    expect(await doctorWith('engine:\n  name: mdx\n')).toMatch(
      /FAIL +separation engine +engine\.name is mdx but no model is configured \(engine\.model\)/,
    );
  }, 120_000);
});
