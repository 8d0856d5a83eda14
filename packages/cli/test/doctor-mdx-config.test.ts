// docs/separation.md configures the mdx engine as `engine: { name: mdx, model: models/<file>.onnx }`, and
// the worker runs that model; but `imk doctor` read only engine.params.model, so with the documented config
// it failed "engine.name is mdx but engine.params.model names no model", and never checked the model the
// worker would run. Doctor now reads the engine's parameters as the worker does, and opens the model with
// the configured execution providers (it used the CPU alone, so `[cuda]` without CUDA libraries passed).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failsWhenRunGraph, identityGraph, writeModel } from '@imk/separation/testing';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMK } from './imk-bin.ts';
import { imkInProcess } from './in-process.ts';

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
  await writeModel(join(root, 'models', 'dereverb.onnx'), identityGraph(SHAPE), {
    ...SHAPE,
    primaryStem: 'Reverb',
  });
  // Opens, and its input shape is what its .json says, but a chunk of 1024 × 7 samples is shorter than n_fft.
  const tooShort = { nFft: 8192, dimF: 1024, dimT: 8 };
  await writeModel(join(root, 'models', 'short-chunk.onnx'), identityGraph(tooShort), {
    ...tooShort,
    primaryStem: 'Vocals',
  });
  await writeModel(join(root, 'models', 'fails.onnx'), failsWhenRunGraph(SHAPE), {
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
    // A provider that works with another after it: a job that fails over from it mid-run (a GPU out of
    // memory) makes the worker keep to the next one until it restarts, and doctor says how to try it again.
    // ([cpu, cpu] here: this machine has no GPU, and a list with cuda after cpu fails to open at all.)
    expect(
      await doctorWith(
        'engine:\n  name: mdx\n  model: models/vocals.onnx\n  executionProviders: [cpu, cpu]\n',
      ),
    ).toMatch(
      /ok +separation engine +mdx: vocals\.onnx .* on cpu; if a job's warning says cpu failed mid-run, the worker starts every model's jobs on the next provider until it restarts: restart it to try cpu again/,
    );
    // ...in that one line: not also in ONNX Runtime's own "[E:onnxruntime…] Failed to load library" on stderr.
    expect(lastStderr).not.toMatch(/onnxruntime/i);
    expect(await doctorWith('engine:\n  name: mdx\n')).toMatch(
      /FAIL +separation engine +engine\.name is mdx but no model is configured \(engine\.model\)/,
    );
  }, 120_000);

  // Models every job would fail on passed: doctor opened them and compared the shape, but never asked
  // whether the engine can run them (MODEL_UNSUPPORTED, MODEL_DATA_INVALID) or ran the model once.
  it('fails a model the engine would refuse or ONNX Runtime cannot run, as every job would', async () => {
    const doctor = async (config: string) => {
      await writeFile(join(root, 'config', 'instrumental-maker.yaml'), config);
      return (await imkInProcess('doctor', '--root', root)).stdout;
    };
    expect(await doctor('engine:\n  name: mdx\n  model: models/dereverb.onnx\n')).toMatch(
      /FAIL +separation engine +MDX model .*dereverb\.onnx \(hash [0-9a-f]{32}\) separates "Reverb"; the mdx engine needs a vocals or instrumental model[^\n]*\n.*primary stem is Vocals or Instrumental/,
    );
    expect(await doctor('engine:\n  name: mdx\n  model: models/short-chunk.onnx\n')).toMatch(
      /FAIL +separation engine +.*short-chunk\.json: mdx_n_fft_scale_set 8192, mdx_dim_f_set 1024, mdx_dim_t_set 3 \(dim_t 8\) cannot be run: a chunk of 1024 × \(dim_t − 1\) = 7168 samples must be longer than n_fft 8192/,
    );
    expect(await doctor('engine:\n  name: mdx\n  model: models/fails.onnx\n')).toMatch(
      /FAIL +separation engine +ONNX Runtime could not run MDX model .*fails\.onnx on an input of \[1, 4, 1024, 16\]/,
    );
  }, 120_000);
});
